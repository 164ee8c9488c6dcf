"""The audit chain's arithmetic: what an entry's hash is computed over, in plain Python.

The store appends and verifies entries; this module only says, byte for byte, how an entry is
serialised and hashed (see ``docs/audit-log.md``), so that the formula can be checked without a
database.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

# Part of every hashed document, so a future format can be told apart from this one.
FORMAT = "gardien.audit/1"
GENESIS_HASH = "0" * 64


def normalise_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """``details`` as plain JSON data, in the form that is stored and hashed.

    Keys must be strings. Dates and aware datetimes become ISO 8601 text (datetimes in UTC);
    tuples become lists; floats with an integral value become integers, because PostgreSQL's
    JSONB gives ``1e16`` back as ``10000000000000000`` and the hash must survive the round trip.
    Anything else (sets, bytes, NaN, naive datetimes, objects) raises :class:`ValueError`.
    """
    normal = _normalise(details, "details")
    assert isinstance(normal, dict)
    return normal


def _normalise(value: Any, where: str) -> Any:
    # bool before int: True is an int to Python but stays a boolean in JSON.
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value!r} is not a JSON number")
        return int(value) if value.is_integer() else value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{where}: naive datetime {value!r}")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        normal: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: key {key!r} is not a string")
            normal[key] = _normalise(item, f"{where}.{key}")
        return normal
    if isinstance(value, list | tuple):
        return [_normalise(item, f"{where}[{index}]") for index, item in enumerate(value)]
    raise ValueError(f"{where}: {type(value).__name__} is not JSON data")


def canonical_entry(
    *,
    entry_id: int,
    recorded_at: datetime,
    action: str,
    actor: str,
    details: Mapping[str, Any],
    prev_hash: str,
) -> bytes:
    """The exact bytes an entry's hash is computed over (see ``docs/audit-log.md``).

    A compact JSON array ``[FORMAT, id, recorded_at, action, actor, details, prev_hash]`` with
    sorted keys, UTF-8 encoded; ``recorded_at`` as ISO 8601 UTC with microseconds.
    """
    if recorded_at.tzinfo is None:
        raise ValueError("recorded_at must be timezone-aware")
    document = [
        FORMAT,
        entry_id,
        recorded_at.astimezone(UTC).isoformat(timespec="microseconds"),
        action,
        actor,
        normalise_details(details),
        prev_hash,
    ]
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def entry_hash(
    *,
    entry_id: int,
    recorded_at: datetime,
    action: str,
    actor: str,
    details: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of :func:`canonical_entry`: an entry's ``hash`` column."""
    canonical = canonical_entry(
        entry_id=entry_id,
        recorded_at=recorded_at,
        action=action,
        actor=actor,
        details=details,
        prev_hash=prev_hash,
    )
    return hashlib.sha256(canonical).hexdigest()

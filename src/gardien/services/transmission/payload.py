"""A transmission's document as bytes: canonical JSON, or CSV with one row per record.

The bytes returned are exactly what is sent and what the disclosure log's SHA-256 is of.
JSON is sorted and indented, so the same data always gives the same digest. CSV has one row
per record (per module followed, when the learning path is sent), its columns the fields in
the policy's order, lists joined by spaces, nested documents as JSON.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime
from typing import Any

import orjson

from gardien.store.disclosure import LEARNING_PATH

FORMATS = {"json": "application/json", "csv": "text/csv; charset=utf-8"}


def plain(value: Any) -> Any:
    """``value`` with dates and instants as ISO 8601 text, recursively."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def render(document: dict[str, Any], fmt: str) -> bytes:
    """The bytes of ``document`` in ``fmt`` (``json`` or ``csv``)."""
    if fmt == "json":
        return orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"
    if fmt == "csv":
        return _csv(document)
    raise ValueError(f"unknown format {fmt!r}: json or csv")


def sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _rows(section: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for record in section["records"]:
        flat = {"contract": section["reference"]}
        for key, value in record.items():
            if key == LEARNING_PATH:
                continue
            if key == "certificate_of_completion":
                flat["certificate_of_completion.filename"] = value["filename"]
                flat["certificate_of_completion.sha256"] = value["sha256"]
            elif isinstance(value, list):
                flat[key] = " ".join(str(item) for item in value)
            elif isinstance(value, dict):
                flat[key] = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
            else:
                flat[key] = value
        paths = record.get(LEARNING_PATH)
        if not paths:
            rows.append(flat)
            continue
        for path in paths:
            path_values = {k: v for k, v in path.items() if k != "modules"}
            for module in path["modules"] or [{}]:
                rows.append({**flat, **path_values, **module})
    return rows


def _csv(document: dict[str, Any]) -> bytes:
    rows = [row for section in document["contracts"] for row in _rows(section)]
    columns: dict[str, None] = {"contract": None}
    for row in rows:
        columns.update(dict.fromkeys(row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return out.getvalue().encode("utf-8")

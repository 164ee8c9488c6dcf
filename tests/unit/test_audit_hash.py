"""The canonical form of an audit entry and its hash: stable, and sensitive to every field."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from gardien.domain.audit_chain import (
    GENESIS_HASH,
    canonical_entry,
    entry_hash,
    normalise_details,
)

WHEN = datetime(2026, 3, 1, 9, 30, 15, 250_000, tzinfo=UTC)
ENTRY: dict[str, Any] = {
    "entry_id": 7,
    "recorded_at": WHEN,
    "action": "sweep.batch",
    "actor": "sweep",
    "details": {"rule": "learner_data", "count": 3, "subjects": ["p-1", "p-2", "p-3"]},
    "prev_hash": GENESIS_HASH,
}


def test_the_canonical_form_is_the_documented_one() -> None:
    # docs/audit-log.md shows this very document: a change here is a change of format.
    expected = (
        '["gardien.audit/1",7,"2026-03-01T09:30:15.250000+00:00","sweep.batch","sweep",'
        '{"count":3,"rule":"learner_data","subjects":["p-1","p-2","p-3"]},'
        f'"{GENESIS_HASH}"]'
    ).encode()
    assert canonical_entry(**ENTRY) == expected
    assert entry_hash(**ENTRY) == hashlib.sha256(expected).hexdigest()


def test_the_hash_does_not_depend_on_key_order() -> None:
    reordered = {"subjects": ["p-1", "p-2", "p-3"], "count": 3, "rule": "learner_data"}
    assert entry_hash(**{**ENTRY, "details": reordered}) == entry_hash(**ENTRY)


def test_nested_keys_are_sorted_too() -> None:
    one = {"rule": {"b": 1, "a": 2}}
    other = {"rule": {"a": 2, "b": 1}}
    assert entry_hash(**{**ENTRY, "details": one}) == entry_hash(**{**ENTRY, "details": other})


def test_the_same_instant_in_another_zone_hashes_the_same() -> None:
    paris = WHEN.astimezone(timezone(timedelta(hours=1)))
    assert entry_hash(**{**ENTRY, "recorded_at": paris}) == entry_hash(**ENTRY)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("entry_id", 8),
        ("recorded_at", WHEN + timedelta(microseconds=1)),
        ("action", "sweep.batches"),
        ("actor", "cli"),
        ("details", {"rule": "learner_data", "count": 4, "subjects": ["p-1", "p-2", "p-3"]}),
        ("details", {"rule": "learner_data", "count": 3, "subjects": ["p-1", "p-3", "p-2"]}),
        ("details", {"rule": "learner_data", "count": "3", "subjects": ["p-1", "p-2", "p-3"]}),
        ("details", {"rule": "learner_data", "count": 3}),
        ("prev_hash", "f" * 64),
    ],
)
def test_any_changed_field_changes_the_hash(field: str, value: Any) -> None:
    assert entry_hash(**{**ENTRY, field: value}) != entry_hash(**ENTRY)


def test_fields_cannot_run_into_each_other() -> None:
    # A naive concatenation would hash ("ab", "c") and ("a", "bc") alike.
    one = entry_hash(**{**ENTRY, "action": "sweep.", "actor": "batchsweep"})
    other = entry_hash(**{**ENTRY, "action": "sweep.batch", "actor": "sweep"})
    assert one != other


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        entry_hash(**{**ENTRY, "recorded_at": WHEN.replace(tzinfo=None)})


def test_details_are_normalised_to_what_json_gives_back() -> None:
    details = {
        "as_of": date(2026, 3, 1),
        "at": WHEN,
        "pair": (1, 2),
        "whole": 2.0,
        "big": 1e16,
        "rate": 0.75,
        "flag": True,
        "none": None,
        "nested": {"ids": ("p-1",)},
    }
    assert normalise_details(details) == {
        "as_of": "2026-03-01",
        "at": "2026-03-01T09:30:15.250000+00:00",
        "pair": [1, 2],
        "whole": 2,
        "big": 10_000_000_000_000_000,
        "rate": 0.75,
        "flag": True,
        "none": None,
        "nested": {"ids": ["p-1"]},
    }
    assert isinstance(normalise_details({"flag": True})["flag"], bool)


def test_a_float_hashes_as_the_integer_jsonb_gives_back() -> None:
    assert entry_hash(**{**ENTRY, "details": {"n": 1e16}}) == entry_hash(
        **{**ENTRY, "details": {"n": 10**16}}
    )


@pytest.mark.parametrize(
    ("details", "message"),
    [
        ({"n": float("nan")}, "not a JSON number"),
        ({"n": float("inf")}, "not a JSON number"),
        ({"at": datetime(2026, 1, 1)}, "naive datetime"),
        ({"ids": {"p-1"}}, "set is not JSON data"),
        ({"raw": b"x"}, "bytes is not JSON data"),
        ({"nested": {1: "x"}}, "key 1 is not a string"),
    ],
)
def test_what_is_not_json_data_is_refused(details: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalise_details(details)

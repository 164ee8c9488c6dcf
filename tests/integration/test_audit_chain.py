"""Appending to the audit log, and catching every kind of tampering, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from gardien.services import audit
from gardien.store.audit import (
    GENESIS_HASH,
    AuditHead,
    AuditVerification,
    append_audit,
    entry_hash,
    read_audit_head,
    verify_audit,
)
from gardien.store.tables import audit_entry
from gardien.store.uow import UnitOfWork

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def fill(engine: Engine, count: int, *, start: datetime = START) -> None:
    """``count`` entries, one a day, each with a pseudonymous subject id."""
    with engine.begin() as connection:
        for number in range(count):
            append_audit(
                connection,
                action="sweep.batch",
                actor="sweep",
                details={"rule": "learner_data", "count": number, "subjects": [f"p-{number}"]},
                recorded_at=start + timedelta(days=number),
            )


def run(engine: Engine, sql: str, **params: Any) -> None:
    with engine.begin() as connection:
        connection.execute(text(sql), params)


def set_details(engine: Engine, entry_id: int, details: dict[str, Any]) -> None:
    cast = "CAST(:details AS JSONB)" if engine.dialect.name == "postgresql" else ":details"
    run(
        engine,
        f"UPDATE audit_entry SET details = {cast} WHERE id = :id",
        details=json.dumps(details),
        id=entry_id,
    )


def details_of(engine: Engine, entry_id: int) -> dict[str, Any]:
    with engine.connect() as connection:
        found: dict[str, Any] = connection.execute(
            select(audit_entry.c.details).where(audit_entry.c.id == entry_id)
        ).scalar_one()
    return found


def verify(engine: Engine) -> AuditVerification:
    return audit.verify(UnitOfWork(engine))


def broken_at(engine: Engine) -> tuple[int | None, str | None]:
    result = verify(engine)
    assert not result.ok
    return result.first_broken_id, result.problem


# -- appending ---------------------------------------------------------------------------------


def test_an_empty_log_verifies(engine: Engine) -> None:
    assert verify(engine) == AuditVerification(True, 0, None, None)


def test_a_chain_of_appends_verifies(engine: Engine) -> None:
    fill(engine, 25)
    assert verify(engine) == AuditVerification(True, 25, None, None)


def test_ids_follow_each_other_and_each_entry_links_to_the_previous(engine: Engine) -> None:
    with engine.begin() as connection:
        ids = [
            append_audit(
                connection,
                action="subject.erased",
                actor="dpo",
                details={"subject": f"p-{n}"},
                recorded_at=START,
            )
            for n in range(3)
        ]
    assert ids == [1, 2, 3]
    with engine.connect() as connection:
        rows = connection.execute(select(audit_entry).order_by(audit_entry.c.id)).all()
        head = read_audit_head(connection)
    assert [row.prev_hash for row in rows] == [GENESIS_HASH, rows[0].hash, rows[1].hash]
    assert head == AuditHead(last_id=3, hash=rows[2].hash, anchor_id=0, anchor_hash=GENESIS_HASH)


def test_appends_accumulate_across_transactions(engine: Engine) -> None:
    fill(engine, 3)
    fill(engine, 4, start=START + timedelta(days=10))
    assert verify(engine) == AuditVerification(True, 7, None, None)


def test_an_entry_rolled_back_leaves_no_trace(engine: Engine) -> None:
    fill(engine, 2)
    with engine.connect() as connection, connection.begin() as transaction:
        append_audit(connection, action="x", actor="sweep", details={}, recorded_at=START)
        transaction.rollback()
    fill(engine, 1)
    assert verify(engine) == AuditVerification(True, 3, None, None)


def test_details_read_back_as_they_were_hashed(engine: Engine) -> None:
    with engine.begin() as connection:
        append_audit(
            connection,
            action="sweep.batch",
            actor="sweep",
            details={"rate": 0.1, "tiny": 1.5e-10, "big": 1e16, "text": "déjà vu ✓", "n": None},
            recorded_at=START,
        )
    assert details_of(engine, 1)["big"] == 10**16
    assert verify(engine).ok


@pytest.mark.parametrize(
    "details",
    [
        {"subject": "camille.martin@example.org"},
        {"subjects": ["p-1", "Camille <camille@example.org>"]},
        {"by_email": {"lea@example.org": 1}},
    ],
)
def test_email_addresses_are_refused(engine: Engine, details: dict[str, Any]) -> None:
    with engine.begin() as connection, pytest.raises(ValueError, match="e-mail"):
        append_audit(connection, action="x", actor="sweep", details=details, recorded_at=START)
    assert verify(engine) == AuditVerification(True, 0, None, None)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("action", "", "action"),
        ("action", "a" * 65, "action"),
        ("actor", "", "actor"),
        ("actor", "a" * 101, "actor"),
        ("recorded_at", datetime(2026, 1, 5), "timezone-aware"),
        ("details", {"ids": {"p-1"}}, "not JSON data"),
    ],
)
def test_bad_entries_are_refused(engine: Engine, field: str, value: Any, message: str) -> None:
    entry: dict[str, Any] = {
        "action": "x",
        "actor": "sweep",
        "details": {},
        "recorded_at": START,
        field: value,
    }
    with engine.begin() as connection, pytest.raises(ValueError, match=message):
        append_audit(connection, **entry)


def test_ten_thousand_appends_in_one_transaction(engine: Engine) -> None:
    fill(engine, 10_000)
    assert verify(engine) == AuditVerification(True, 10_000, None, None)


def test_verification_reads_in_chunks(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gardien.store.audit.CHUNK", 7)
    fill(engine, 30)
    assert verify(engine) == AuditVerification(True, 30, None, None)
    run(engine, "DELETE FROM audit_entry WHERE id = 15")
    assert broken_at(engine) == (16, "entry 15 is missing")


def test_verify_audit_sees_the_callers_own_uncommitted_appends(engine: Engine) -> None:
    fill(engine, 5)
    with engine.begin() as connection:
        append_audit(connection, action="x", actor="sweep", details={}, recorded_at=START)
        assert verify_audit(connection) == AuditVerification(True, 6, None, None)


# -- tampering ---------------------------------------------------------------------------------


def test_modified_details_are_caught_at_that_entry(engine: Engine) -> None:
    fill(engine, 10)
    set_details(engine, 4, {**details_of(engine, 4), "count": 99})
    assert broken_at(engine) == (4, "its content does not match its hash")
    assert verify(engine).entries_checked == 3


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "'someone else'"),
        ("action", "'subject.kept'"),
        ("recorded_at", "'2020-01-01 00:00:00'"),
    ],
)
def test_any_modified_column_is_caught(engine: Engine, column: str, value: str) -> None:
    fill(engine, 10)
    if column == "recorded_at" and engine.dialect.name == "postgresql":
        value = "'2020-01-01 00:00:00+00'"
    run(engine, f"UPDATE audit_entry SET {column} = {value} WHERE id = 6")
    assert broken_at(engine) == (6, "its content does not match its hash")


def test_a_rehashed_entry_is_caught_by_the_next_one(engine: Engine) -> None:
    # The forger recomputes entry 4's hash after editing it: entry 5 still names the old one.
    fill(engine, 10)
    with engine.connect() as connection:
        row = connection.execute(select(audit_entry).where(audit_entry.c.id == 4)).one()
    forged = {**row.details, "count": 99}
    digest = entry_hash(
        entry_id=4,
        recorded_at=row.recorded_at,
        action=row.action,
        actor=row.actor,
        details=forged,
        prev_hash=row.prev_hash,
    )
    set_details(engine, 4, forged)
    run(engine, "UPDATE audit_entry SET hash = :hash WHERE id = 4", hash=digest)
    assert broken_at(engine) == (5, "prev_hash is not the hash of entry 4")


def test_a_modified_prev_hash_is_caught(engine: Engine) -> None:
    fill(engine, 5)
    run(engine, "UPDATE audit_entry SET prev_hash = :h WHERE id = 1", h="1" * 64)
    assert broken_at(engine) == (1, "prev_hash is not the hash of the anchor")


def test_a_deleted_entry_is_named_by_the_next(engine: Engine) -> None:
    fill(engine, 10)
    run(engine, "DELETE FROM audit_entry WHERE id = 4")
    assert broken_at(engine) == (5, "entry 4 is missing")


def test_deleted_entries_are_named_as_a_range(engine: Engine) -> None:
    fill(engine, 10)
    run(engine, "DELETE FROM audit_entry WHERE id BETWEEN 1 AND 3")
    assert broken_at(engine) == (4, "entries 1-3 are missing")


def test_a_deleted_last_entry_is_caught_through_the_head(engine: Engine) -> None:
    fill(engine, 10)
    run(engine, "DELETE FROM audit_entry WHERE id = 10")
    assert broken_at(engine) == (10, "entry 10 is missing: the head ends the chain at 10")


def test_deleting_every_entry_is_caught_through_the_head(engine: Engine) -> None:
    fill(engine, 3)
    run(engine, "DELETE FROM audit_entry")
    assert broken_at(engine) == (1, "entries 1-3 are missing: the head ends the chain at 3")


def test_the_last_entry_deleted_with_the_head_rewound_is_caught(engine: Engine) -> None:
    fill(engine, 10)
    run(engine, "DELETE FROM audit_entry WHERE id = 10")
    run(engine, "UPDATE audit_head SET last_id = 9")
    assert broken_at(engine) == (9, "the head's hash is not this entry's hash")


def test_a_modified_head_is_caught(engine: Engine) -> None:
    fill(engine, 5)
    run(engine, "UPDATE audit_head SET hash = :h", h="2" * 64)
    assert broken_at(engine) == (5, "the head's hash is not this entry's hash")


def test_swapped_details_are_caught_at_the_first(engine: Engine) -> None:
    fill(engine, 10)
    third, seventh = details_of(engine, 3), details_of(engine, 7)
    set_details(engine, 3, seventh)
    set_details(engine, 7, third)
    assert broken_at(engine) == (3, "its content does not match its hash")


def test_swapped_entries_are_caught(engine: Engine) -> None:
    # Renumbering two whole entries: ids are part of the hash.
    fill(engine, 10)
    run(engine, "UPDATE audit_entry SET id = 1000 WHERE id = 3")
    run(engine, "UPDATE audit_entry SET id = 3 WHERE id = 7")
    run(engine, "UPDATE audit_entry SET id = 7 WHERE id = 1000")
    assert broken_at(engine) == (3, "prev_hash is not the hash of entry 2")


def test_an_entry_added_after_the_head_is_caught(engine: Engine) -> None:
    fill(engine, 5)
    with engine.begin() as connection:
        row = connection.execute(select(audit_entry).where(audit_entry.c.id == 5)).one()
        connection.execute(
            audit_entry.insert().values(
                {**row._asdict(), "id": 6, "prev_hash": row.hash, "hash": "3" * 64}
            )
        )
    assert broken_at(engine) == (6, "the entry lies after the chain's head")


def test_an_entry_slipped_before_the_anchor_is_caught(engine: Engine) -> None:
    fill(engine, 5)
    # The head claims entries 1 and 2 were pruned; entry 1 is still there.
    second = "(SELECT hash FROM audit_entry WHERE id = 2)"
    run(engine, f"UPDATE audit_head SET anchor_id = 2, anchor_hash = {second}")
    assert broken_at(engine) == (1, "the entry lies before the chain's anchor")


def test_a_head_that_ends_before_its_anchor_is_caught(engine: Engine) -> None:
    fill(engine, 5)
    run(engine, "DELETE FROM audit_entry")
    run(engine, "UPDATE audit_head SET anchor_id = 5, last_id = 3")
    assert broken_at(engine) == (5, "the head ends the chain before its own anchor")


def test_a_missing_head_is_caught(engine: Engine) -> None:
    fill(engine, 5)
    run(engine, "DELETE FROM audit_head")
    assert broken_at(engine) == (1, "the chain's head is missing")


def test_the_report_carries_the_head_it_verified(engine: Engine) -> None:
    fill(engine, 4)
    report = audit.report(UnitOfWork(engine))
    with engine.connect() as connection:
        assert report.head == read_audit_head(connection)
    assert report.as_json()["head"]["last_id"] == 4

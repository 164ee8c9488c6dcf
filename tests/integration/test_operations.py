"""The figures /metrics reads from the database (services/operations.py), on SQLite and on
PostgreSQL: the outbox's waiting, oldest and given-up messages; open and overdue requests as
the console counts them (the due day itself is not overdue); the last sweep, failure and
audit check from the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, update

from gardien.services.operations import read_figures
from gardien.services.outbox_sender import DEFAULT_MAX_ATTEMPTS
from gardien.services.purges import FAILED, FINISHED
from gardien.services.requests import record_request
from gardien.store.audit import append_audit
from gardien.store.outbox import NewMessage, queue_messages
from gardien.store.tables import outbox_message
from gardien.store.uow import UnitOfWork

RECEIVED = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # a Monday: due Wednesday 1 July 2026
DUE = date(2026, 7, 1)


def _message(key: str) -> NewMessage:
    return NewMessage(
        dedupe_key=key,
        kind="newsletter_confirm",
        recipient=f"{key}@example.org",
        subject="Confirmez",
        body="...",
        send_after=RECEIVED,
    )


def test_nothing_yet(engine: Engine) -> None:
    figures = read_figures(UnitOfWork(engine), today=DUE)
    assert figures.outbox.waiting == figures.outbox.given_up == 0
    assert figures.outbox.oldest_waiting is None
    assert figures.last_sweep is None and figures.last_audit_check is None
    assert figures.audit_entries == 0
    assert sum(figures.open_requests.values()) == 0


def test_the_figures_of_a_filled_database(engine: Engine) -> None:
    with engine.begin() as connection:
        queue_messages(connection, [_message("first")], now=RECEIVED)
        queue_messages(
            connection, [_message("second"), _message("refused")], now=RECEIVED + timedelta(hours=1)
        )
        connection.execute(
            update(outbox_message)
            .where(outbox_message.c.dedupe_key == "refused")
            .values(attempts=DEFAULT_MAX_ATTEMPTS, last_error="550 refused")
        )
        for kind in ("access", "erasure"):
            record_request(
                connection,
                now=RECEIVED,
                email=f"{kind}@example.org",
                kind=kind,
                identity_check="email_link",
                actor="requester",
            )
        record_request(
            connection,
            now=RECEIVED,
            email="done@example.org",
            kind="access",
            identity_check="session",
            actor="requester",
            completed_with={"note": "sent"},
        )
        append_audit(
            connection,
            action=FINISHED,
            actor="sweep",
            details={"run": None, "seconds": 1.5, "rules": {"outbox": {"records": 7}}},
            recorded_at=RECEIVED,
        )
        append_audit(
            connection,
            action=FAILED,
            actor="sweep",
            details={"run": 1, "error": "OperationalError"},
            recorded_at=RECEIVED + timedelta(hours=2),
        )
    on_the_day = read_figures(UnitOfWork(engine), today=DUE)
    assert on_the_day.outbox.waiting == 2
    assert on_the_day.outbox.oldest_waiting == RECEIVED
    assert on_the_day.outbox.given_up == 1
    assert on_the_day.open_requests == {"access": 1, "erasure": 1}  # the closed one is not
    assert sum(on_the_day.overdue_requests.values()) == 0  # the due day is not overdue
    assert on_the_day.last_sweep is not None
    assert on_the_day.last_sweep.finished_at == RECEIVED
    assert (on_the_day.last_sweep.seconds, on_the_day.last_sweep.records) == (1.5, {"outbox": 7})
    assert on_the_day.last_sweep_failure == RECEIVED + timedelta(hours=2)
    assert on_the_day.audit_entries >= 2
    day_after = read_figures(UnitOfWork(engine), today=DUE + timedelta(days=1))
    assert day_after.overdue_requests == {"access": 1, "erasure": 1}

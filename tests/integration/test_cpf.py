"""Moving CPF dossiers through EDOF's states, on SQLite and PostgreSQL (gardien.services.cpf).

The dossier comes in through the import, as EDOF reports it; everyone here is fictional.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, event, update
from sqlalchemy.exc import IntegrityError

from gardien.domain.clock import FixedClock
from gardien.domain.edof import ExitReason, ServiceDeclaration
from gardien.domain.vocabulary import CpfStatus as S
from gardien.errors import EdofTransitionError, InvalidInputError, NotFoundError
from gardien.services.cpf import declare_service, get_dossier, move_dossier
from gardien.store.tables import cpf_dossier
from gardien.store.uow import UnitOfWork
from tests.support.cpf_samples import (
    EDOF,
    EMAIL,
    ENTRY,
    EXIT,
    FAMILY,
    GIVEN,
    audit,
    clock,
    load_dossier,
    pseudonym,
    row,
)
from tests.support.retention_samples import identifiers_found, verify
from tests.support.threads import run_together


def move(engine: Engine, to: S, when: FixedClock, entry_date: date | None = None) -> Any:
    return move_dossier(
        UnitOfWork(engine, write=True),
        edof_number=EDOF,
        to=to,
        clock=when,
        entry_date=entry_date,
    )


def declare(engine: Engine, declaration: ServiceDeclaration, when: FixedClock) -> Any:
    return declare_service(
        UnitOfWork(engine, write=True), edof_number=EDOF, declaration=declaration, clock=when
    )


PARTIAL = ServiceDeclaration(
    entry_date=ENTRY, exit_date=EXIT, completion_rate=85, exit_reason=ExitReason.DROPPED_OUT
)


# -- the whole path --------------------------------------------------------------------------------


def test_the_whole_path_from_accepted_to_service_validated(engine: Engine) -> None:
    load_dossier(engine)
    assert row(engine)["status"] == "accepted"

    moved = move(engine, S.IN_TRAINING, clock(3, 3), entry_date=ENTRY)
    assert (moved.previous, moved.dossier.status) == (S.ACCEPTED, S.IN_TRAINING)
    assert moved.dossier.next_states == (S.TERMINATED,)
    after = row(engine)
    assert (after["status"], after["entry_date"], after["exit_date"]) == (
        "in_training",
        ENTRY,
        None,
    )
    assert after["updated_at"] == clock(3, 3).now()

    move(engine, S.TERMINATED, clock(30, 4))
    assert row(engine)["status"] == "terminated"

    declared = declare(engine, PARTIAL, clock(2))
    assert declared.previous is S.TERMINATED
    after = row(engine)
    assert {k: after[k] for k in ("status", "entry_date", "exit_date")} == {
        "status": "service_declared",
        "entry_date": ENTRY,
        "exit_date": EXIT,
    }
    assert (after["completion_rate"], after["exit_reason"]) == (85, "dropped_out")
    assert after["updated_at"] == clock(2).now()

    move(engine, S.SERVICE_VALIDATED, clock(20))
    final = get_dossier(UnitOfWork(engine), edof_number=EDOF)
    assert final.status is S.SERVICE_VALIDATED
    assert final.next_states == ()
    assert (final.entry_date, final.exit_date, final.completion_rate) == (ENTRY, EXIT, 85)
    assert final.updated_at == clock(20).now()

    who = {"dossier": f"cpf_dossier:{after['id']}", "learner": pseudonym(engine)}
    assert audit(engine) == [
        ("cpf.status", "cli", {**who, "from": "accepted", "to": "in_training"}),
        ("cpf.status", "cli", {**who, "from": "in_training", "to": "terminated"}),
        ("cpf.service_declared", "cli", {**who, "from": "terminated", "to": "service_declared"}),
        ("cpf.status", "cli", {**who, "from": "service_declared", "to": "service_validated"}),
    ]
    assert verify(engine).ok
    assert verify(engine).entries_checked == 4


def test_an_accepted_dossier_can_be_cancelled(engine: Engine) -> None:
    load_dossier(engine)
    moved = move(engine, S.CANCELLED, clock(1, 3))
    assert moved.dossier.status is S.CANCELLED
    assert moved.dossier.next_states == ()
    assert row(engine)["entry_date"] is None


def test_the_declaration_keeps_the_entry_date_recorded_on_entering(engine: Engine) -> None:
    load_dossier(engine, S.TERMINATED, entry_date=ENTRY.isoformat())
    complete = ServiceDeclaration(
        entry_date=ENTRY, exit_date=EXIT, completion_rate=100, exit_reason=ExitReason.COMPLETED
    )
    declare(engine, complete, clock(2))
    after = row(engine)
    assert (after["completion_rate"], after["exit_reason"]) == (100, "completed")


def test_an_imported_dossier_without_entry_date_takes_the_declared_one(engine: Engine) -> None:
    load_dossier(engine, S.TERMINATED)
    declare(engine, PARTIAL, clock(2))
    assert row(engine)["entry_date"] == ENTRY


# -- refusals change nothing -----------------------------------------------------------------------

Attempt = Callable[[Engine], object]

REFUSALS: list[tuple[str, S, Attempt, type[Exception], str]] = [
    (
        "accepted to terminated",
        S.ACCEPTED,
        lambda e: move(e, S.TERMINATED, clock(2)),
        EdofTransitionError,
        "cannot move from accepted to terminated",
    ),
    (
        "accepted to refused",
        S.ACCEPTED,
        lambda e: move(e, S.REFUSED, clock(2)),
        EdofTransitionError,
        "cannot move from accepted to refused",
    ),
    (
        "in training without entry date",
        S.ACCEPTED,
        lambda e: move(e, S.IN_TRAINING, clock(2)),
        InvalidInputError,
        "entry_date: entering the training needs its entry date",
    ),
    (
        "entry date after today",
        S.ACCEPTED,
        lambda e: move(e, S.IN_TRAINING, clock(2, 3), entry_date=ENTRY),
        InvalidInputError,
        "entry_date: 2025-03-03 is after today (2025-03-02)",
    ),
    (
        "service declared without declaration",
        S.TERMINATED,
        lambda e: move(e, S.SERVICE_DECLARED, clock(2)),
        InvalidInputError,
        "declaration: declaring the service needs the whole declaration",
    ),
    (
        "declared from in training",
        S.IN_TRAINING,
        lambda e: declare(e, PARTIAL, clock(2)),
        EdofTransitionError,
        "cannot move from in_training to service_declared",
    ),
    (
        "declared twice",
        S.SERVICE_DECLARED,
        lambda e: declare(e, PARTIAL, clock(2)),
        EdofTransitionError,
        "already in state service_declared",
    ),
    (
        "exit after today",
        S.TERMINATED,
        lambda e: declare(e, PARTIAL, clock(29, 4)),
        InvalidInputError,
        "exit_date: 2025-04-30 is after today (2025-04-29)",
    ),
    (
        "cancelled is final",
        S.CANCELLED,
        lambda e: move(e, S.IN_TRAINING, clock(2), entry_date=ENTRY),
        EdofTransitionError,
        "cancelled is a final state",
    ),
    (
        "refused is final",
        S.REFUSED,
        lambda e: move(e, S.CANCELLED, clock(2)),
        EdofTransitionError,
        "refused is a final state",
    ),
    (
        "validated is final",
        S.SERVICE_VALIDATED,
        lambda e: move(e, S.SERVICE_DECLARED, clock(2)),
        EdofTransitionError,
        "service_validated is a final state",
    ),
]


@pytest.mark.parametrize(
    ("status", "attempt", "error", "message"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_a_refused_move_leaves_the_dossier_as_it_was(
    engine: Engine, status: S, attempt: Attempt, error: type[Exception], message: str
) -> None:
    load_dossier(engine, status)
    before = row(engine)
    with pytest.raises(error) as caught:
        attempt(engine)
    assert message in str(caught.value)
    assert row(engine) == before
    assert audit(engine) == []


def test_a_declared_entry_other_than_the_recorded_one_is_refused(engine: Engine) -> None:
    load_dossier(engine)
    move(engine, S.IN_TRAINING, clock(3, 3), entry_date=ENTRY)
    move(engine, S.TERMINATED, clock(30, 4))
    before, entries = row(engine), audit(engine)
    other = ServiceDeclaration(
        entry_date=date(2025, 3, 4),
        exit_date=EXIT,
        completion_rate=85,
        exit_reason=ExitReason.DROPPED_OUT,
    )
    with pytest.raises(InvalidInputError) as caught:
        declare(engine, other, clock(2))
    assert caught.value.field == "entry_date"
    assert "entered the training on 2025-03-03, not 2025-03-04" in str(caught.value)
    assert (row(engine), audit(engine)) == (before, entries)


def test_an_unknown_dossier_is_not_found_and_not_named(engine: Engine) -> None:
    load_dossier(engine)
    for attempt in (
        lambda: move_dossier(
            UnitOfWork(engine, write=True), edof_number="EDOF-0000", to=S.CANCELLED, clock=clock(2)
        ),
        lambda: declare_service(
            UnitOfWork(engine, write=True),
            edof_number="EDOF-0000",
            declaration=PARTIAL,
            clock=clock(2),
        ),
        lambda: get_dossier(UnitOfWork(engine), edof_number="EDOF-0000"),
    ):
        with pytest.raises(NotFoundError) as caught:
            attempt()
        assert "EDOF-0000" not in str(caught.value)
    assert audit(engine) == []


# -- the audit log ---------------------------------------------------------------------------------


def test_audit_entries_hold_no_personal_data(engine: Engine) -> None:
    load_dossier(engine)
    move(engine, S.IN_TRAINING, clock(3, 3), entry_date=ENTRY)
    move(engine, S.TERMINATED, clock(30, 4))
    declare(engine, PARTIAL, clock(2))
    needles = [EMAIL, GIVEN, FAMILY, EDOF, ENTRY.isoformat(), EXIT.isoformat(), "dropped_out"]
    hits = identifiers_found(engine, needles)
    # An entry's own time may fall on a declared day (training entered the day it began).
    assert [hit for hit in hits if hit[0] == "audit_entry" and hit[1] != "recorded_at"] == []
    # The needles are where they belong, so the search above could have found them.
    found = {(table, needle) for table, _, _, needle in hits}
    expected = {("learner", EMAIL), ("cpf_dossier", EDOF), ("cpf_dossier", "dropped_out")}
    assert {(table, needle.casefold()) for table, needle in expected} <= found
    assert verify(engine).ok


# -- the database's own check ------------------------------------------------------------------


@pytest.mark.parametrize("status", ["paid", "Accepted", "service_done", ""])
def test_the_database_refuses_an_unknown_status(engine: Engine, status: str) -> None:
    load_dossier(engine)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            update(cpf_dossier).where(cpf_dossier.c.edof_number == EDOF).values(status=status)
        )
    assert row(engine)["status"] == "accepted"


# -- two moves at once ---------------------------------------------------------------------------


def slow_first_dossier_read(engine: Engine, seconds: float) -> Callable[[], None]:
    """Make each thread pause after its first read of a dossier, so that two moves overlap:
    without a lock, both would read ``accepted`` before either writes."""
    local = threading.local()

    def listener(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "FROM cpf_dossier" in statement and not getattr(local, "paused", False):
            local.paused = True
            time.sleep(seconds)

    event.listen(engine, "after_cursor_execute", listener)
    return lambda: event.remove(engine, "after_cursor_execute", listener)


@pytest.mark.parametrize(
    ("first", "second"),
    [(S.IN_TRAINING, S.CANCELLED), (S.CANCELLED, S.CANCELLED)],
    ids=["different targets", "same target"],
)
def test_two_concurrent_moves_of_one_dossier_one_succeeds(
    engine: Engine, first: S, second: S
) -> None:
    load_dossier(engine)
    outcomes: list[tuple[S, str]] = []

    def mover(target: S) -> Callable[[], None]:
        def job() -> None:
            entry = ENTRY if target is S.IN_TRAINING else None
            try:
                move(engine, target, clock(2), entry_date=entry)
            except EdofTransitionError:
                outcomes.append((target, "refused"))
            else:
                outcomes.append((target, "moved"))

        return job

    restore = slow_first_dossier_read(engine, 0.4)
    try:
        run_together(mover(first), mover(second))
    finally:
        restore()
    assert sorted(outcome for _, outcome in outcomes) == ["moved", "refused"]
    (winner,) = [target for target, outcome in outcomes if outcome == "moved"]
    assert row(engine)["status"] == winner.value
    entries = audit(engine)
    assert [(action, details["from"], details["to"]) for action, _, details in entries] == [
        ("cpf.status", "accepted", winner.value)
    ]
    assert verify(engine).ok

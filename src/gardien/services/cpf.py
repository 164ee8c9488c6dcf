"""CPF dossiers: move one through EDOF's states, declare its service done, show where it is.

Each move runs in one transaction that locks the dossier's row first (``SELECT ... FOR
UPDATE`` on PostgreSQL; on SQLite the whole database, when the unit of work is opened with
``write=True``), checks the move against :mod:`gardien.domain.edof`, writes the new state and
appends an audit entry. Two moves of the same dossier at once are therefore serialised: the
second sees the first one's state and is checked against it.

Audit entries name the dossier and the learner by pseudonymous ids only (``cpf_dossier:<id>``
and the learner's pseudonym): not the EDOF number, which is erased with the learner while the
audit log is kept, nor the declaration's dates, rate or reason, which the dossier holds.

The import still writes dossiers as EDOF reports them, without these checks: EDOF is the
reference, and what it reports replaces what was recorded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from gardien.domain.clock import Clock
from gardien.domain.edof import STATUS_LABELS, ServiceDeclaration, check_move, next_states
from gardien.domain.vocabulary import CpfStatus
from gardien.errors import InvalidInputError, NotFoundError
from gardien.store.audit import append_audit
from gardien.store.tables import cpf_dossier, learner
from gardien.store.uow import UnitOfWork

__all__ = ["CpfDossier", "Moved", "declare_service", "get_dossier", "move_dossier"]

MOVED = "cpf.status"
DECLARED = "cpf.service_declared"


@dataclass(frozen=True)
class CpfDossier:
    """A CPF dossier as gardien holds it, and the states it may move to next."""

    edof_number: str
    status: CpfStatus
    entry_date: date | None
    exit_date: date | None
    completion_rate: int | None
    exit_reason: str | None
    certification_result: str | None
    updated_at: datetime

    @property
    def next_states(self) -> tuple[CpfStatus, ...]:
        return next_states(self.status)

    def as_json(self) -> dict[str, Any]:
        label = STATUS_LABELS[self.status]
        return {
            "edof_number": self.edof_number,
            "status": self.status.value,
            "status_label": {"fr": label.fr, "en": label.en},
            "entry_date": _iso(self.entry_date),
            "exit_date": _iso(self.exit_date),
            "completion_rate": self.completion_rate,
            "exit_reason": self.exit_reason,
            "certification_result": self.certification_result,
            "updated_at": self.updated_at.isoformat(),
            "next_states": [state.value for state in self.next_states],
        }


@dataclass(frozen=True)
class Moved:
    """The outcome of a move: the state left, and the dossier as it now stands."""

    previous: CpfStatus
    dossier: CpfDossier


def get_dossier(uow: UnitOfWork, *, edof_number: str) -> CpfDossier:
    """The dossier with this EDOF number; :class:`~gardien.errors.NotFoundError` if none."""
    with uow:
        row = _select(uow.connection, edof_number, lock=False)
        return _dossier(row)


def move_dossier(
    uow: UnitOfWork,
    *,
    edof_number: str,
    to: CpfStatus,
    clock: Clock,
    entry_date: date | None = None,
    actor: str = "cli",
) -> Moved:
    """Move a dossier to the state ``to``, as EDOF allows; commit and audit it.

    Entering ``in_training`` needs ``entry_date`` (not after today); ``service_declared`` is
    reached through :func:`declare_service` only. Refuses an unknown dossier with
    :class:`~gardien.errors.NotFoundError`, an illegal move with
    :class:`~gardien.errors.EdofTransitionError` and missing or wrong data with
    :class:`~gardien.errors.InvalidInputError`, changing nothing. Open ``uow`` with
    ``write=True`` so that SQLite takes its write lock before the dossier is read.
    """
    target = CpfStatus(to)
    with uow:
        connection = uow.connection
        row = _select(connection, edof_number, lock=True)
        current = CpfStatus(row.status)
        check_move(current, target, entry_date=entry_date)
        values: dict[str, Any] = {"status": target.value, "updated_at": clock.now()}
        if entry_date is not None:
            _not_after_today(entry_date, clock, field="entry_date")
            values["entry_date"] = entry_date
        _write(connection, row, values)
        _audit(connection, MOVED, row, current, target, clock=clock, actor=actor)
        moved = Moved(current, _dossier(_select(connection, edof_number, lock=False)))
        uow.commit()
    return moved


def declare_service(
    uow: UnitOfWork,
    *,
    edof_number: str,
    declaration: ServiceDeclaration,
    clock: Clock,
    actor: str = "cli",
) -> Moved:
    """Declare the service done: move a ``terminated`` dossier to ``service_declared`` and
    store the declaration (dates, completion rate, exit reason) in the same transaction.

    The exit may not be after today, and the entry must be the one recorded when the dossier
    entered the training, if one was. Errors as for :func:`move_dossier`.
    """
    with uow:
        connection = uow.connection
        row = _select(connection, edof_number, lock=True)
        current = CpfStatus(row.status)
        target = CpfStatus.SERVICE_DECLARED
        check_move(current, target, declaration=declaration)
        _not_after_today(declaration.exit_date, clock, field="exit_date")
        if row.entry_date is not None and row.entry_date != declaration.entry_date:
            raise InvalidInputError(
                f"the dossier entered the training on {row.entry_date.isoformat()},"
                f" not {declaration.entry_date.isoformat()}",
                field="entry_date",
            )
        _write(
            connection,
            row,
            {
                "status": target.value,
                "entry_date": declaration.entry_date,
                "exit_date": declaration.exit_date,
                "completion_rate": declaration.completion_rate,
                "exit_reason": declaration.exit_reason.value,
                "updated_at": clock.now(),
            },
        )
        _audit(connection, DECLARED, row, current, target, clock=clock, actor=actor)
        moved = Moved(current, _dossier(_select(connection, edof_number, lock=False)))
        uow.commit()
    return moved


# -- the row -----------------------------------------------------------------------------------


def _select(connection: Connection, edof_number: str, *, lock: bool) -> Row[Any]:
    query = (
        select(cpf_dossier, learner.c.pseudonym)
        .join(learner, learner.c.id == cpf_dossier.c.learner_id)
        .where(cpf_dossier.c.edof_number == edof_number)
    )
    if lock:
        # PostgreSQL: a concurrent move waits here until this transaction ends, then reads the
        # state it left. Only the dossier's row is locked, not the learner's. SQLite ignores
        # FOR UPDATE; there, UnitOfWork(write=True) already holds the database's write lock.
        query = query.with_for_update(of=cpf_dossier)
    row = connection.execute(query).first()
    if row is None:
        # The number is not repeated: it is personal data, and messages may end up in logs.
        raise NotFoundError("no CPF dossier has this EDOF number")
    return row


def _write(connection: Connection, row: Row[Any], values: dict[str, Any]) -> None:
    connection.execute(update(cpf_dossier).where(cpf_dossier.c.id == row.id).values(**values))


def _dossier(row: Row[Any]) -> CpfDossier:
    return CpfDossier(
        edof_number=row.edof_number,
        status=CpfStatus(row.status),
        entry_date=row.entry_date,
        exit_date=row.exit_date,
        completion_rate=row.completion_rate,
        exit_reason=row.exit_reason,
        certification_result=row.certification_result,
        updated_at=row.updated_at,
    )


def _audit(
    connection: Connection,
    action: str,
    row: Row[Any],
    previous: CpfStatus,
    target: CpfStatus,
    *,
    clock: Clock,
    actor: str,
) -> None:
    append_audit(
        connection,
        action=action,
        actor=actor,
        details={
            "dossier": f"cpf_dossier:{row.id}",
            "learner": row.pseudonym,
            "from": previous.value,
            "to": target.value,
        },
        recorded_at=clock.now(),
    )


def _not_after_today(day: date, clock: Clock, *, field: str) -> None:
    today = clock.today()
    if day > today:
        raise InvalidInputError(
            f"{day.isoformat()} is after today ({today.isoformat()}): declare what happened",
            field=field,
        )


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()

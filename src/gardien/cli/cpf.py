"""``gardien cpf``: move a CPF dossier through EDOF's states and declare its service done."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

import typer

from gardien.cli.context import container, emit
from gardien.domain.edof import STATUS_LABELS, ExitReason, ServiceDeclaration
from gardien.domain.vocabulary import CpfStatus
from gardien.errors import InvalidInputError

if TYPE_CHECKING:
    from gardien.services.cpf import CpfDossier, Moved

app = typer.Typer(
    help="CPF dossiers on EDOF: move them through their states, declare the service done.",
    no_args_is_help=True,
)

EDOF_NUMBER = typer.Argument(..., metavar="EDOF_NUMBER", help="The dossier's number on EDOF.")


@app.command("move")
def move_command(
    ctx: typer.Context,
    edof_number: str = EDOF_NUMBER,
    to: CpfStatus = typer.Option(..., "--to", help="The state to move the dossier to."),
    entry_date: str | None = typer.Option(
        None, "--entry-date", help="Entry into the training (YYYY-MM-DD): for --to in_training."
    ),
) -> None:
    """Move a dossier to another state, as EDOF allows (declare the service with declare)."""
    from gardien.services.cpf import move_dossier
    from gardien.store.uow import UnitOfWork

    entry = _day(entry_date, "--entry-date") if entry_date is not None else None
    app_ = container(ctx)
    moved = move_dossier(
        UnitOfWork(app_.migrated_engine(), write=True),
        edof_number=edof_number,
        to=to,
        clock=app_.clock,
        entry_date=entry,
    )
    emit(_moved(moved))


@app.command("declare")
def declare_command(
    ctx: typer.Context,
    edof_number: str = EDOF_NUMBER,
    entry: str = typer.Option(..., "--entry", help="Entry into the training (YYYY-MM-DD)."),
    exit_: str = typer.Option(..., "--exit", help="Exit from the training (YYYY-MM-DD)."),
    rate: int = typer.Option(
        ..., "--rate", help="Completion rate, a whole percentage from 0 to 100."
    ),
    reason: ExitReason = typer.Option(
        ..., "--reason", help="Why the trainee left (completed when the rate is 100)."
    ),
) -> None:
    """Declare the service done for a dossier that left the training (terminated)."""
    from gardien.services.cpf import declare_service
    from gardien.store.uow import UnitOfWork

    declaration = ServiceDeclaration(
        entry_date=_day(entry, "--entry"),
        exit_date=_day(exit_, "--exit"),
        completion_rate=rate,
        exit_reason=reason,
    )
    app_ = container(ctx)
    moved = declare_service(
        UnitOfWork(app_.migrated_engine(), write=True),
        edof_number=edof_number,
        declaration=declaration,
        clock=app_.clock,
    )
    emit(_moved(moved))


@app.command("show")
def show_command(
    ctx: typer.Context,
    edof_number: str = EDOF_NUMBER,
    as_json: bool = typer.Option(False, "--json", help="Print the dossier as JSON."),
) -> None:
    """Show a dossier's state, its dates and the states it can move to next."""
    from gardien.services.cpf import get_dossier
    from gardien.store.uow import UnitOfWork

    dossier = get_dossier(UnitOfWork(container(ctx).migrated_engine()), edof_number=edof_number)
    if as_json:
        emit(json.dumps(dossier.as_json(), indent=2, ensure_ascii=False))
    else:
        emit(_describe(dossier))


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(f"not a date (YYYY-MM-DD): {text!r}", field=option) from None


def _state(status: CpfStatus) -> str:
    label = STATUS_LABELS[status]
    return f"{status.value} ({label.fr} / {label.en})"


def _moved(moved: Moved) -> str:
    dossier = moved.dossier
    return f"{dossier.edof_number}: {moved.previous.value} -> {dossier.status.value}"


def _describe(dossier: CpfDossier) -> str:
    def value(item: object) -> str:
        return "-" if item is None else str(item)

    following = ", ".join(state.value for state in dossier.next_states)
    lines = [
        f"EDOF number:          {dossier.edof_number}",
        f"status:               {_state(dossier.status)}",
        f"entry date:           {value(dossier.entry_date)}",
        f"exit date:            {value(dossier.exit_date)}",
        f"completion rate:      {value(dossier.completion_rate)}"
        + (" %" if dossier.completion_rate is not None else ""),
        f"exit reason:          {value(dossier.exit_reason)}",
        f"certification result: {value(dossier.certification_result)}",
        f"updated at:           {dossier.updated_at.isoformat()}",
        f"next states:          {following or 'none (final state)'}",
    ]
    return "\n".join(lines)

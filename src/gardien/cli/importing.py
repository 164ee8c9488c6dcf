"""``gardien import FILE``."""

from __future__ import annotations

from pathlib import Path

import typer

from gardien.cli.context import AS_OF_HELP, container, emit


def import_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="JSON document (schema: docs/import.schema.json)."),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
) -> None:
    """Load a JSON document of records: idempotent on natural keys, all or nothing."""
    from gardien.cli.progress import progress_bar
    from gardien.services.importing.reader import read_document
    from gardien.services.importing.writer import import_document
    from gardien.services.xapi.linking import link_new_learners
    from gardien.store.uow import UnitOfWork

    app = container(ctx, as_of=as_of)
    document = read_document(file)
    engine = app.upgraded_engine()
    with progress_bar() as progress:
        report = import_document(
            document,
            uow=UnitOfWork(engine),
            clock=app.clock,
            home_page=app.settings.public_url,
            progress=progress,
        )
    # Statements stored about these addresses before they were learners' become theirs.
    linked = link_new_learners(
        engine,
        (learner.email for learner in document.learners),
        pseudonyms=app.pseudonyms,
        clock=app.clock,
    )
    emit(report.summary())
    if linked.statements:
        emit(f"earlier statements linked: {linked.statements} (to {linked.learners} learners)")

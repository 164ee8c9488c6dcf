"""Load the demo as production data arrives: records by import, activity through the LRS.

The import writes everything but the statements, enrolments and module progress included.
The statements then go to ``POST /xapi/statements`` of a running gardien, sent by the demo's
xAPI client, and confirm what was imported: the generator makes them agree with the LRS's
rules (docs/xapi.md, "What a statement moves"), so last activity and progress stay as
imported. One thing the LRS cannot express is a withdrawal: it marks an enrolment with
progress in progress again, so withdrawals are imported after the activity, as a platform's
register reports them after the fact.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import Engine

from gardien.domain.clock import Clock
from gardien.domain.vocabulary import EnrolmentStatus
from gardien.services.demo.lrs import register_client, send_statements, statement_batches
from gardien.services.importing.context import Progress
from gardien.services.importing.document import ImportDocument
from gardien.services.importing.report import ImportReport
from gardien.services.importing.writer import import_document
from gardien.services.xapi.clients import NewClient
from gardien.store.uow import UnitOfWork

# Starts gardien's web app and yields its base URL; stops it on exit.
Serve = Callable[[], AbstractContextManager[str]]


@dataclass(frozen=True)
class DemoLoad:
    """What loading the demo did."""

    report: ImportReport
    client: NewClient
    statements: int
    requests: int
    withdrawals: int


def load_demo(
    document: ImportDocument,
    *,
    engine: Engine,
    clock: Clock,
    home_page: str,
    serve: Serve,
    progress: Progress | None = None,
) -> DemoLoad:
    """Import ``document`` without its statements, then send them through the LRS.

    ``serve`` runs the web app on the same database, clock and settings. Raises
    :class:`~gardien.errors.ImportDocumentError` if the import fails (nothing is written), and
    :class:`~gardien.errors.XapiSendError` if the LRS refuses a batch (the records and the
    batches before it are stored).
    """
    records = document.model_copy(update={"statements": []})
    report = import_document(
        records, uow=UnitOfWork(engine), clock=clock, home_page=home_page, progress=progress
    )
    client = register_client(engine, clock=clock)
    batches = statement_batches(document)
    with serve() as base_url:
        sent = send_statements(base_url, client, batches, progress=progress)
    withdrawn = [e for e in document.enrolments if e.status is EnrolmentStatus.WITHDRAWN]
    if withdrawn:
        import_document(
            ImportDocument(enrolments=withdrawn),
            uow=UnitOfWork(engine),
            clock=clock,
            home_page=home_page,
        )
    return DemoLoad(
        report=report,
        client=client,
        statements=sent,
        requests=len(batches),
        withdrawals=len(withdrawn),
    )

"""Write an import document: one transaction, idempotent on natural keys, set-based.

Sections are written parents first (paths, learners, sponsors, contracts, then what refers to
them), each through chunked look-ups and ``executemany``; see :mod:`.sync`. Any error, a dangling
reference found in the last record as much as a refusal by the database, rolls everything back.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import DataError, IntegrityError

from gardien.domain.clock import Clock
from gardien.errors import ImportDocumentError
from gardien.services.importing.activity import import_statements, survey
from gardien.services.importing.checks import check_document
from gardien.services.importing.commerce import import_contracts, import_invoices, import_sponsors
from gardien.services.importing.context import ImportContext, Progress
from gardien.services.importing.document import ImportDocument
from gardien.services.importing.funding import (
    import_cpf_dossiers,
    import_messages,
    import_newsletter,
    import_opco_dossiers,
)
from gardien.services.importing.learning import import_enrolments, import_learners, import_paths
from gardien.services.importing.reader import gc_paused
from gardien.services.importing.report import Counts, ImportReport
from gardien.store.bulk import Bulk
from gardien.store.uow import UnitOfWork

__all__ = ["Counts", "ImportReport", "import_document"]

log = logging.getLogger(__name__)


def import_document(
    document: ImportDocument,
    *,
    uow: UnitOfWork,
    clock: Clock,
    home_page: str,
    progress: Progress | None = None,
) -> ImportReport:
    """Write every record of ``document`` in one transaction and report what changed.

    Records are matched on their natural keys: new ones are inserted, stored ones updated to
    the imported values (statements, immutable, are left as they are), so importing the same
    document twice changes nothing. Stored statements carry the learner's pseudonym as an
    account on ``home_page``, never an e-mail or a name. ``progress(kind, done, total)`` is
    called as the statements go in.

    Raises :class:`ImportDocumentError`, with nothing written, for a duplicate key, a reference
    to a record that is neither in the document nor in the database, or data the database
    refuses.
    """
    try:
        return _import(document, uow=uow, clock=clock, home_page=home_page, progress=progress)
    except ImportDocumentError as exc:
        if document.source is None:
            raise
        raise ImportDocumentError(f"{document.source}: {exc}") from None


def _import(
    document: ImportDocument,
    *,
    uow: UnitOfWork,
    clock: Clock,
    home_page: str,
    progress: Progress | None,
) -> ImportReport:
    check_document(document)
    report = ImportReport()
    with uow, gc_paused():
        ctx = ImportContext(
            bulk=Bulk(uow.connection),
            now=clock.now(),
            home_page=home_page,
            report=report,
            progress=progress,
        )
        try:
            _write(ctx, document)
        except (IntegrityError, DataError) as exc:
            raise ImportDocumentError(
                f"the database refused the data, nothing was imported: {_reason(exc)}"
            ) from None
        uow.commit()
    log.info("import committed: %s", report.summary().replace("\n", "; "))
    return report


def _write(ctx: ImportContext, document: ImportDocument) -> None:
    activity = survey(document.statements)
    import_paths(ctx, document.learning_paths)
    import_learners(ctx, document.learners, activity.latest)
    import_sponsors(ctx, document.sponsors)
    import_contracts(ctx, document.contracts)
    import_enrolments(ctx, document.enrolments)
    import_statements(ctx, document.statements, activity)
    import_invoices(ctx, document.invoices)
    import_cpf_dossiers(ctx, document.cpf_dossiers)
    import_opco_dossiers(ctx, document.opco_dossiers)
    import_newsletter(ctx, document.newsletter_subscriptions)
    import_messages(ctx, document.contact_messages)


def _reason(exc: IntegrityError | DataError) -> str:
    # The driver's first line names the constraint or the column; the parameters (personal
    # data) are hidden by the bulk layer and never shown.
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)

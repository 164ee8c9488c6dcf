"""Write an import document. (Scaffold: being written.)"""

from __future__ import annotations

from dataclasses import dataclass

from gardien.domain.clock import Clock
from gardien.services.importing.document import ImportDocument
from gardien.store.uow import UnitOfWork


@dataclass
class ImportReport:
    def summary(self) -> str:
        raise NotImplementedError


def import_document(
    document: ImportDocument, *, uow: UnitOfWork, clock: Clock, home_page: str
) -> ImportReport:
    raise NotImplementedError

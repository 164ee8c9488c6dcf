"""Checks of a whole document that need no database: one record per key, dates in order.

Run before anything is written, so that the cheapest mistakes cost nothing to find.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import date
from operator import attrgetter
from typing import Any

from gardien.services.importing.context import utc
from gardien.services.importing.document import ImportDocument
from gardien.services.importing.keys import SECTION_KEYS, record_error


def check_document(document: ImportDocument) -> None:
    """Raise :class:`ImportDocumentError` for the first duplicate key or inverted date range."""
    for section, fields in SECTION_KEYS.items():
        _unique(section, getattr(document, section), fields[-1], _natural_key(section, fields))
    _nested(document)
    _dates(document)


def _natural_key(section: str, fields: tuple[str, ...]) -> Callable[[Any], Hashable]:
    if section == "contact_messages":
        # Instants are the same whatever offset they were written with.
        return lambda r: (r.email, utc(r.received_at))
    return attrgetter(*fields)


def _unique(
    section: str, records: Sequence[Any], field: str, key: Callable[[Any], Hashable]
) -> None:
    keys = list(map(key, records))
    # The common case, no duplicate, at C speed; the loop below only runs to name the culprit.
    if len(set(keys)) == len(keys):
        return
    first: dict[Hashable, int] = {}
    for index, value in enumerate(keys):
        seen = first.setdefault(value, index)
        if seen != index:
            raise record_error(
                section, index, records[index], field, f"the same record as {section}[{seen}]"
            )


def _nested(document: ImportDocument) -> None:
    for index, path in enumerate(document.learning_paths):
        codes = [m.code for m in path.modules]
        _unique_in("learning_paths", index, path, "modules", codes, field="code")
    for index, sponsor in enumerate(document.sponsors):
        emails = [c.email for c in sponsor.contacts]
        _unique_in("sponsors", index, sponsor, "contacts", emails, field="email")
    for index, contract in enumerate(document.contracts):
        _unique_in("contracts", index, contract, "learners", list(contract.learners))
    for index, enrolment in enumerate(document.enrolments):
        modules = [m.module for m in enrolment.modules]
        _unique_in("enrolments", index, enrolment, "modules", modules, field="module")


def _unique_in(
    section: str,
    index: int,
    record: Any,
    name: str,
    keys: Sequence[Hashable],
    *,
    field: str | None = None,
) -> None:
    first: dict[Hashable, int] = {}
    for position, key in enumerate(keys):
        seen = first.setdefault(key, position)
        if seen != position:
            place = f"{name}[{position}]" + (f".{field}" if field else "")
            raise record_error(section, index, record, place, f'"{key}" repeats {name}[{seen}]')


def _dates(document: ImportDocument) -> None:
    for index, contract in enumerate(document.contracts):
        _ordered("contracts", index, contract, "starts_on", "ends_on")
    for index, dossier in enumerate(document.opco_dossiers):
        _ordered("opco_dossiers", index, dossier, "training_start", "training_end")
    for index, cpf in enumerate(document.cpf_dossiers):
        _ordered("cpf_dossiers", index, cpf, "entry_date", "exit_date")


def _ordered(section: str, index: int, record: Any, start: str, end: str) -> None:
    first: date | None = getattr(record, start)
    last: date | None = getattr(record, end)
    if first is not None and last is not None and last < first:
        raise record_error(
            section, index, record, end, f"{last.isoformat()} is before {start} {first.isoformat()}"
        )

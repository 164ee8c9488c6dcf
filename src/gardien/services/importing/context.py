"""What the sections of one import share: the open transaction, the instant, the ids so far.

Records refer to each other by natural key; each section resolves the keys it needs into ids,
first among the records of the document already written, then in the database (in chunks), and
raises an :class:`ImportDocumentError` naming the first record whose reference leads nowhere.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Table

from gardien.services.importing.keys import record_error
from gardien.services.importing.report import ImportReport
from gardien.store.bulk import Bulk
from gardien.store.tables import contract, learner, learning_path, sponsor

# (kind of record, rows done, rows in all): called as long imports go, and cheap to ignore.
Progress = Callable[[str, int, int], None]

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class LearnerRef:
    """What other records need of a learner: its id, and the pseudonym activity carries."""

    id: int
    pseudonym: str


@dataclass
class ImportContext:
    """The state of one import, shared by its sections."""

    bulk: Bulk
    now: datetime
    home_page: str
    report: ImportReport
    progress: Progress | None = None
    paths: dict[str, int] = field(default_factory=dict)
    learners: dict[str, LearnerRef] = field(default_factory=dict)
    sponsors: dict[str, int] = field(default_factory=dict)
    contracts: dict[str, int] = field(default_factory=dict)
    # Full names by e-mail: OPCO dossiers keep a snapshot, statements must not contain them.
    names: dict[str, str] = field(default_factory=dict)
    # E-mails of the learners listed in the document (their activity is set with them).
    listed: set[str] = field(default_factory=set)

    def tell(self, kind: str, done: int, total: int) -> None:
        """Report progress, when someone listens."""
        if self.progress is not None:
            self.progress(kind, done, total)

    def path_ids(self, wanted: Iterable[str]) -> dict[str, int]:
        """Learning path ids by code, from this import or the database."""
        return _resolve(self.bulk, self.paths, learning_path, "code", wanted, _first_int)

    def sponsor_ids(self, wanted: Iterable[str]) -> dict[str, int]:
        """Sponsor ids by reference, from this import or the database."""
        return _resolve(self.bulk, self.sponsors, sponsor, "ref", wanted, _first_int)

    def contract_ids(self, wanted: Iterable[str]) -> dict[str, int]:
        """Contract ids by reference, from this import or the database."""
        return _resolve(self.bulk, self.contracts, contract, "reference", wanted, _first_int)

    def learner_refs(self, wanted: Iterable[str]) -> dict[str, LearnerRef]:
        """Learner ids and pseudonyms by e-mail, from this import or the database."""
        return _resolve(
            self.bulk,
            self.learners,
            learner,
            "email",
            wanted,
            lambda row: LearnerRef(int(row[0]), str(row[1])),
            extra=("pseudonym",),
        )

    def learner_names(self, wanted: Iterable[str]) -> dict[str, str]:
        """Learners' full names ("given family") by e-mail, from this import or the database."""
        return _resolve(
            self.bulk,
            self.names,
            learner,
            "email",
            wanted,
            lambda row: f"{row[1]} {row[2]}",
            extra=("given_name", "family_name"),
        )


def utc(instant: datetime | None) -> datetime | None:
    """The same instant in UTC, as the database gives it back (so that values compare equal)."""
    return None if instant is None else instant.astimezone(UTC)


def _first_int(row: Sequence[Any]) -> int:
    return int(row[0])


def _resolve(
    bulk: Bulk,
    cache: dict[str, R],
    table: Table,
    column: str,
    wanted: Iterable[str],
    make: Callable[[Sequence[Any]], R],
    *,
    extra: tuple[str, ...] = (),
) -> dict[str, R]:
    """``cache``, completed with the ``wanted`` keys found in the database (misses stay out)."""
    missing = {key for key in wanted if key not in cache}
    if missing:
        for row in bulk.rows_where_in(table, ("id", *extra, column), column, missing):
            cache[row[-1]] = make(row)
    return cache


def require(
    section: str,
    records: Sequence[Any],
    field_name: str,
    known: dict[str, Any] | set[Hashable],
    noun: str,
    *,
    value: Callable[[Any], Any] | None = None,
) -> None:
    """Raise for the first record whose ``field_name`` names no known ``noun``.

    ``value(record)`` gives the reference (default: the field itself); None means no reference.
    """
    get = value or (lambda record: getattr(record, field_name))
    for index, record in enumerate(records):
        reference = get(record)
        if reference is not None and reference not in known:
            raise record_error(
                section,
                index,
                record,
                field_name,
                f'no {noun} "{reference}" in the document or the database',
            )

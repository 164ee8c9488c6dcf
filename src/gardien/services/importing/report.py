"""What an import did, per kind of record: how many rows were inserted, updated, left unchanged."""

from __future__ import annotations

from dataclasses import dataclass, field

# Kinds of records in the order they are written (parents before children).
KINDS = (
    "learning_paths",
    "learning_modules",
    "learners",
    "sponsors",
    "sponsor_contacts",
    "contracts",
    "contract_learners",
    "enrolments",
    "module_progress",
    "statements",
    "invoices",
    "cpf_dossiers",
    "opco_dossiers",
    "newsletter_subscriptions",
    "contact_messages",
)


@dataclass(frozen=True)
class Counts:
    """Rows of one kind: inserted, updated to the imported values, already as imported."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


@dataclass
class ImportReport:
    """The outcome of :func:`~gardien.services.importing.writer.import_document`."""

    counts: dict[str, Counts] = field(default_factory=dict)

    def add(self, kind: str, counts: Counts) -> None:
        """Add ``counts`` to those of ``kind``."""
        self.counts[kind] = self.counts.get(kind, Counts()) + counts

    def of(self, kind: str) -> Counts:
        """The counts of one kind (zero when the document had none)."""
        return self.counts.get(kind, Counts())

    @property
    def changed(self) -> bool:
        """True when the import inserted or updated anything."""
        return any(c.inserted or c.updated for c in self.counts.values())

    def summary(self) -> str:
        """One line per kind of record present, in English; counts only, never personal data."""
        lines = []
        for kind in sorted(self.counts, key=_position):
            c = self.counts[kind]
            if c.total:
                label = kind.replace("_", " ")
                lines.append(
                    f"{label}: {c.inserted} inserted, {c.updated} updated, {c.unchanged} unchanged"
                )
        return "\n".join(lines) if lines else "nothing to import: the document holds no records"


def _position(kind: str) -> int:
    return KINDS.index(kind) if kind in KINDS else len(KINDS)

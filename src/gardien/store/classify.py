"""How a column declares what it holds: a policy category, or no personal data at all.

``gardien policy check`` reads these marks and fails on any column that has neither, or names
a category the policy does not declare.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, MetaData, String

from gardien.domain.lookup import LOOKUP_LENGTH

CATEGORY_KEY = "category"
NOT_PERSONAL_KEY = "not_personal"
LOOKUP_KEY = "keyed_lookup"


def personal(category: str) -> dict[str, Any]:
    """``Column.info`` for a column holding personal data of ``category``."""
    return {CATEGORY_KEY: category}


def not_personal(why: str) -> dict[str, Any]:
    """``Column.info`` for a column holding no personal data; ``why`` makes the claim reviewable."""
    return {NOT_PERSONAL_KEY: why}


SURROGATE = not_personal("surrogate key")


def keyed_lookup(category: str) -> dict[str, Any]:
    """A keyed lookup of a person's address (``domain/lookup.py``): pseudonymous personal
    data of ``category``, never shown as a field (it means nothing to the person)."""
    return {**personal(category), LOOKUP_KEY: True}


def lookup_column(category: str, name: str = "subject_lookup") -> Column[str]:
    """The indexed, nullable column holding a keyed lookup of ``category`` data."""
    return Column(
        name, String(LOOKUP_LENGTH), nullable=True, index=True, info=keyed_lookup(category)
    )


@dataclass(frozen=True)
class ColumnClass:
    """The classification found on one column."""

    table: str
    column: str
    category: str | None
    not_personal: bool
    # A keyed lookup of an address: personal, but never shown to anyone as a field.
    lookup: bool = False

    @property
    def dotted(self) -> str:
        return f"{self.table}.{self.column}"


def classify(column: Column[Any]) -> ColumnClass:
    info = column.info
    return ColumnClass(
        table=column.table.name,
        column=column.name,
        category=info.get(CATEGORY_KEY),
        not_personal=NOT_PERSONAL_KEY in info,
        lookup=bool(info.get(LOOKUP_KEY)),
    )


def classifications(metadata: MetaData) -> Iterator[ColumnClass]:
    """Every column of every table of ``metadata`` with its classification."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            yield classify(column)

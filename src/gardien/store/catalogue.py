"""The record catalogue the policy is checked against: the tables' records and fields."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gardien.policy.catalogue import RecordCatalogue
from gardien.store.field_list import FIELDS

if TYPE_CHECKING:
    from sqlalchemy import MetaData


def record_catalogue(metadata: MetaData | None = None) -> RecordCatalogue:
    """Every table of ``metadata`` as a record kind, with its column names as fields.

    Without ``metadata``, gardien's own tables, read from :data:`~.field_list.FIELDS` (which a
    test keeps equal to them), so that loading the policy does not import SQLAlchemy.
    """
    if metadata is None:
        return RecordCatalogue(fields={record: frozenset(f) for record, f in FIELDS.items()})
    tables = metadata.tables.values()
    return RecordCatalogue(
        fields={table.name: frozenset(column.name for column in table.columns) for table in tables}
    )

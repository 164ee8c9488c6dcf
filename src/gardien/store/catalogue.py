"""The record catalogue the policy is checked against, read from the tables themselves."""

from __future__ import annotations

from sqlalchemy import MetaData

from gardien.policy.catalogue import RecordCatalogue
from gardien.store.tables import metadata as default_metadata


def record_catalogue(metadata: MetaData | None = None) -> RecordCatalogue:
    """Every table of ``metadata`` as a record kind, with its column names as fields."""
    tables = (metadata or default_metadata).tables.values()
    return RecordCatalogue(
        fields={table.name: frozenset(column.name for column in table.columns) for table in tables}
    )

"""The category of each field of the data model, read from the columns' classification."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from sqlalchemy import MetaData

from gardien.store.classify import classifications
from gardien.store.tables import metadata as default_metadata

# Field ("record.column") -> the policy category its column holds, or None when the column
# holds no personal data in itself (a contract reference, an invoice number).
FieldCategories = Mapping[str, str | None]


def field_categories(metadata: MetaData | None = None) -> FieldCategories:
    """``record.field`` -> the category its column declares, for every column of ``metadata``."""
    if metadata is None:
        return _default()
    return {column.dotted: column.category for column in classifications(metadata)}


@cache
def _default() -> FieldCategories:
    return {column.dotted: column.category for column in classifications(default_metadata)}

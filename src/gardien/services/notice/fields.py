"""The category of each field of the data model, read from the columns' classification."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING

from gardien.store.field_list import FIELDS

if TYPE_CHECKING:
    from sqlalchemy import MetaData

# Field ("record.column") -> the policy category its column holds, or None when the column
# holds no personal data in itself (a contract reference, an invoice number).
FieldCategories = Mapping[str, str | None]


def field_categories(metadata: MetaData | None = None) -> FieldCategories:
    """``record.field`` -> the category its column declares, for every column of ``metadata``.

    Without ``metadata``, gardien's own tables, read from :data:`~gardien.store.field_list.FIELDS`
    (which a test keeps equal to them): the notice is written without importing SQLAlchemy.
    """
    if metadata is None:
        return _default()
    from gardien.store.classify import classifications

    return {column.dotted: column.category for column in classifications(metadata)}


@cache
def _default() -> FieldCategories:
    return {
        f"{record}.{field}": category
        for record, fields in FIELDS.items()
        for field, category in fields.items()
    }

"""The written-out field list is the tables' classification, column for column.

``gardien.store.field_list`` lets the policy loader and the notice run without SQLAlchemy; it is
only right while it says what the tables say. When a table changes, this test fails and prints
the list to paste into ``src/gardien/store/field_list.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Column, Integer, MetaData, String, Table

from gardien.services.notice import field_categories
from gardien.store.catalogue import record_catalogue
from gardien.store.classify import classifications, not_personal, personal
from gardien.store.field_list import FIELDS
from gardien.store.tables import metadata


def _from_tables(tables: MetaData) -> dict[str, dict[str, str | None]]:
    fields: dict[str, dict[str, str | None]] = {}
    for column in classifications(tables):
        fields.setdefault(column.table, {})[column.column] = column.category
    return dict(sorted(fields.items()))


def _literal(fields: Mapping[str, Mapping[str, str | None]]) -> str:
    lines = ["FIELDS: Mapping[str, Mapping[str, str | None]] = {"]
    for record, columns in fields.items():
        lines.append(f'    "{record}": {{')
        lines += [
            f'        "{name}": {"None" if category is None else f"{category!r}"},'.replace(
                "'", '"'
            )
            for name, category in columns.items()
        ]
        lines.append("    },")
    return "\n".join([*lines, "}"])


def test_the_field_list_is_the_tables_classification() -> None:
    expected = _from_tables(metadata)
    # Compared column by column: a renamed, added, dropped or reclassified column fails here.
    listed = {record: dict(columns) for record, columns in FIELDS.items()}
    assert listed == expected, "paste into src/gardien/store/field_list.py:\n" + _literal(expected)


def test_the_catalogue_and_the_categories_read_from_the_list_match_the_tables() -> None:
    assert record_catalogue() == record_catalogue(metadata)
    assert field_categories() == field_categories(metadata)


def test_other_tables_are_read_from_their_metadata() -> None:
    other = MetaData()
    Table(
        "pupil",
        other,
        Column("id", Integer, primary_key=True, info=not_personal("surrogate key")),
        Column("nickname", String(40), info=personal("identity")),
    )
    assert record_catalogue(other).fields == {"pupil": frozenset({"id", "nickname"})}
    assert field_categories(other) == {"pupil.id": None, "pupil.nickname": "identity"}

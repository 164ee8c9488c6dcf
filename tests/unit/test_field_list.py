"""The written-out field list is the tables' classification, column for column.

``gardien.store.field_list`` lets the policy loader and the notice run without SQLAlchemy; it is
only right while it says what the tables say. When a table changes, this test fails until
``make field-list`` writes ``src/gardien/store/field_list.py`` again.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table

from gardien.services.notice import field_categories
from gardien.store.catalogue import record_catalogue
from gardien.store.classify import not_personal, personal
from gardien.store.field_list import FIELDS
from gardien.store.field_list_writer import TARGET, fields_of, render
from gardien.store.tables import metadata


def test_the_field_list_is_the_tables_classification() -> None:
    listed = {record: dict(columns) for record, columns in FIELDS.items()}
    # Compared column by column: a renamed, added, dropped or reclassified column fails here.
    assert listed == fields_of(metadata), "run `make field-list`"
    # And the file is exactly what the writer gives (so that `make field-list` changes nothing).
    written = TARGET.read_text(encoding="utf-8")
    assert written == render(metadata, written), "run `make field-list`"


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

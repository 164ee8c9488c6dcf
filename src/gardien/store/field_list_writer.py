"""Writes :mod:`gardien.store.field_list` from the tables: ``make field-list``.

``python -m gardien.store.field_list_writer`` rewrites the file; ``tests/unit/test_field_list.py``
fails while the file differs from :func:`render` of the tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import MetaData

from gardien.store.classify import classifications

TARGET = Path(__file__).with_name("field_list.py")
# Where the literal starts: what comes before it (docstring, imports) is kept as it is.
START = "FIELDS: Mapping"


def fields_of(tables: MetaData) -> dict[str, dict[str, str | None]]:
    """Record -> field -> category, as the tables classify their columns."""
    fields: dict[str, dict[str, str | None]] = {}
    for column in classifications(tables):
        fields.setdefault(column.table, {})[column.column] = column.category
    return dict(sorted(fields.items()))


def render(tables: MetaData, current: str) -> str:
    """The text of ``field_list.py`` for ``tables``: ``current``'s head, then the literal."""
    return current[: current.index(START)] + _literal(fields_of(tables)) + "\n"


def _literal(fields: Mapping[str, Mapping[str, str | None]]) -> str:
    lines = ["FIELDS: Mapping[str, Mapping[str, str | None]] = {"]
    for record, columns in fields.items():
        lines.append(f'    "{record}": {{')
        for name, category in columns.items():
            value = "None" if category is None else f'"{category}"'
            lines.append(f'        "{name}": {value},')
        lines.append("    },")
    return "\n".join([*lines, "}"])


def main() -> None:
    from gardien.store.tables import metadata

    TARGET.write_text(render(metadata, TARGET.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()

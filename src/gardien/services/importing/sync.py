"""Keyed, set-based upsert: the one algorithm every section of an import goes through.

For a batch of records identified by their natural key, fetch the stored rows of those keys in
chunks, sort the batch into inserts, updates and rows already as imported, then write each group
with one ``executemany``. No ORM object, no per-row query.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table

from gardien.services.importing.report import Counts
from gardien.store.bulk import Bulk

Key = tuple[Hashable, ...]
Values = tuple[Any, ...]
# (stored values, imported values) -> the values to keep, for columns that only move one way.
Merge = Callable[[Values, Values], Values]


@dataclass(frozen=True)
class Spec:
    """How a table is upserted: its natural key and the columns an import sets.

    ``values`` are compared with what is stored and written when they differ; ``on_insert`` are
    written once, when the row is created (a pseudonym, a creation date); ``touch`` are written
    whenever the row is inserted or updated, and not compared (a last-modified instant).
    """

    table: Table
    key: tuple[str, ...]
    values: tuple[str, ...]
    on_insert: tuple[str, ...] = ()
    touch: tuple[str, ...] = ()
    # Extra stored columns handed back with the ids (a learner's pseudonym, say).
    fetch: tuple[str, ...] = ()


@dataclass
class Outcome:
    """What :func:`upsert` did, and each key's row: ``(id, *spec.fetch)``."""

    counts: Counts
    rows: dict[Key, tuple[Any, ...]] = field(default_factory=dict)

    def ids(self) -> dict[Key, int]:
        """Each key's surrogate id."""
        return {key: int(row[0]) for key, row in self.rows.items()}


def upsert(
    bulk: Bulk,
    spec: Spec,
    incoming: Mapping[Key, Values],
    *,
    merge: Merge | None = None,
    on_insert: Callable[[], Values] = tuple,
    touch: Values = (),
) -> Outcome:
    """Insert the keys not stored, update those stored with other values; one transaction."""
    stored = {} if bulk.is_empty(spec.table) else fetch_by_keys(bulk, spec, incoming.keys())
    rows: dict[Key, tuple[Any, ...]] = {}
    inserts: list[Values] = []
    updates: list[Values] = []
    unchanged = 0
    width = len(spec.values)
    for key, values in incoming.items():
        found = stored.get(key)
        if found is None:
            inserts.append(key + values + on_insert() + touch)
            continue
        current = found[1 : 1 + width]
        if merge is not None:
            values = merge(current, values)
        rows[key] = (found[0], *found[1 + width :])
        if values == current:
            unchanged += 1
        else:
            updates.append(values + touch + (found[0],))
    columns = spec.key + spec.values + spec.on_insert + spec.touch
    bulk.execute_many(
        bulk.insert_sql(spec.table, columns), bulk.encode(spec.table, columns, inserts)
    )
    if updates:
        changed = spec.values + spec.touch
        bulk.execute_many(
            bulk.update_sql(spec.table, changed),
            bulk.encode(spec.table, (*changed, "id"), updates),
        )
    if inserts:
        keys = (row[: len(spec.key)] for row in inserts)
        rows.update(fetch_by_keys(bulk, spec, keys, with_values=False))
    counts = Counts(inserted=len(inserts), updated=len(updates), unchanged=unchanged)
    return Outcome(counts, rows)


def fetch_by_keys(
    bulk: Bulk, spec: Spec, keys: Iterable[Key], *, with_values: bool = True
) -> dict[Key, tuple[Any, ...]]:
    """Stored rows of ``keys``: ``key -> (id, *values, *fetch)``, or ``(id, *fetch)``.

    Looks up by the first key column with chunked ``IN`` lists (an index serves it), then keeps
    the rows whose whole key was asked for.
    """
    wanted = set(keys)
    if not wanted:
        return {}
    values = spec.values if with_values else ()
    columns: Sequence[str] = ("id", *spec.key, *values, *spec.fetch)
    width = len(spec.key)
    found: dict[Key, tuple[Any, ...]] = {}
    for row in bulk.rows_where_in(spec.table, columns, spec.key[0], (k[0] for k in wanted)):
        key = tuple(row[1 : 1 + width])
        if key in wanted:
            found[key] = (row[0], *row[1 + width :])
    return found

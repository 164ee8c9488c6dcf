"""Reading a SQLite database as bytes: what a person with the files could read, freed pages
and the write-ahead log included, against what the live rows hold.

``on_disk`` counts a needle in the raw bytes of the database file, its ``-wal`` and its
``-shm``. ``in_live_rows`` counts it where SQLite legitimately stores live data: every value of
every row of every table, once more for every index that holds the column (an index on an
expression or over part of a table: its expressions over the rows it covers, as its ``CREATE
INDEX`` says; a test checks that reading). The two are equal when nothing but live rows (a
kept record, the audit log's pseudonyms) holds the needle. Both are case-insensitive (ASCII).
The databases of these tests are small: no index spans more than one page, so no key is
copied into an interior page.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path

SUFFIXES = ("", "-wal", "-shm")


def sidecar(database: Path, suffix: str) -> Path:
    return database.with_name(database.name + suffix)


def on_disk(database: Path, needles: Iterable[str]) -> dict[str, int]:
    """How many times each needle occurs in the bytes of the database's files."""
    contents = [
        sidecar(database, suffix).read_bytes().lower()
        for suffix in SUFFIXES
        if sidecar(database, suffix).exists()
    ]
    return {n: sum(data.count(n.lower().encode()) for data in contents) for n in needles}


def in_live_rows(database: Path, needles: Iterable[str]) -> dict[str, int]:
    """How many times each needle occurs in the live rows and index entries of the database."""
    wanted = {n: n.lower().encode() for n in needles}
    counts = dict.fromkeys(wanted, 0)
    # Read-only, through the WAL like any reader; it never checkpoints nor deletes the WAL.
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        sources = [
            (f'"{table}"', "*")
            for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        for index, table, sql in connection.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type='index'"
        ):
            if index in _expressions_or_partial(connection):
                sources.append(_entries(table, sql))
                continue
            columns = [row[2] for row in connection.execute(f'PRAGMA index_info("{index}")')]
            sources.append((f'"{table}"', ", ".join(f'"{column}"' for column in columns)))
        for source, columns in sources:
            for row in connection.execute(f"SELECT {columns} FROM {source}"):
                for value in row:
                    if isinstance(value, str):
                        value = value.encode()
                    if isinstance(value, bytes):
                        for needle, encoded in wanted.items():
                            counts[needle] += value.lower().count(encoded)
    finally:
        connection.close()
    return counts


def expressions_or_partial_indexes(database: Path) -> dict[str, str]:
    """Indexes on an expression or over part of a table, each with the query of its entries
    ``in_live_rows`` reads (it raises when that query does not run)."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        found = {}
        for name, table, sql in connection.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type='index'"
        ):
            if name in _expressions_or_partial(connection):
                source, columns = _entries(table, sql)
                query = f"SELECT {columns} FROM {source}"
                connection.execute(query).fetchall()
                found[name] = query
        return found
    finally:
        connection.close()


def _expressions_or_partial(connection: sqlite3.Connection) -> set[str]:
    found = set()
    for name, sql in connection.execute("SELECT name, sql FROM sqlite_master WHERE type='index'"):
        xinfo = connection.execute(f'PRAGMA index_xinfo("{name}")').fetchall()
        if any(row[1] == -2 for row in xinfo) or (sql and " WHERE " in sql.upper()):
            found.add(name)
    return found


def _entries(table: str, sql: str) -> tuple[str, str]:
    """Where and what ``SELECT {columns} FROM {source}`` reads the entries of the index
    ``sql`` (its ``CREATE INDEX ... ON table (expressions) [WHERE predicate]``) from."""
    head, *predicate = re.split(r"\s+WHERE\s+", sql, maxsplit=1, flags=re.IGNORECASE)
    match = re.search(r"\bON\s+\"?(\w+)\"?\s*\((.*)\)\s*$", head, flags=re.IGNORECASE | re.DOTALL)
    if match is None or match.group(1) != table:
        raise ValueError(f"an index this reader cannot parse: {sql}")
    where = f" WHERE {predicate[0]}" if predicate else ""
    return f'"{table}"{where}', match.group(2)


def wal_size(database: Path) -> int:
    """The size of the ``-wal`` file; -1 when there is none."""
    wal = sidecar(database, "-wal")
    return wal.stat().st_size if wal.exists() else -1


def leftovers(database: Path, needles: list[str]) -> dict[str, tuple[int, int]]:
    """Needles found in the files more often than the live rows hold them: (on disk, live)."""
    disk, live = on_disk(database, needles), in_live_rows(database, needles)
    return {n: (disk[n], live[n]) for n in needles if disk[n] != live[n]}

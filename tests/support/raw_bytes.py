"""Reading a SQLite database as bytes: what a person with the files could read, freed pages
and the write-ahead log included, against what the live rows hold.

``on_disk`` counts a needle in the raw bytes of the database file, its ``-wal`` and its
``-shm``. ``in_live_rows`` counts it where SQLite legitimately stores live data: every value of
every row of every table, once more for every index that holds the column (the schema has no
expression or partial index; a test checks it). The two are equal when nothing but live rows
(a kept record, the audit log's pseudonyms) holds the needle. Both are case-insensitive (ASCII).
The databases of these tests are small: no index spans more than one page, so no key is
copied into an interior page.
"""

from __future__ import annotations

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
            (table, "*")
            for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        for index, table in connection.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type='index'"
        ):
            columns = [row[2] for row in connection.execute(f'PRAGMA index_info("{index}")')]
            sources.append((table, ", ".join(f'"{column}"' for column in columns)))
        for table, columns in sources:
            for row in connection.execute(f'SELECT {columns} FROM "{table}"'):
                for value in row:
                    if isinstance(value, str):
                        value = value.encode()
                    if isinstance(value, bytes):
                        for needle, encoded in wanted.items():
                            counts[needle] += value.lower().count(encoded)
    finally:
        connection.close()
    return counts


def expressions_or_partial_indexes(database: Path) -> list[str]:
    """Indexes on an expression or over part of a table, which ``in_live_rows`` cannot count."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        found = []
        for name, sql in connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='index'"
        ):
            xinfo = connection.execute(f'PRAGMA index_xinfo("{name}")').fetchall()
            if any(row[1] == -2 for row in xinfo) or (sql and " WHERE " in sql.upper()):
                found.append(name)
        return found
    finally:
        connection.close()


def wal_size(database: Path) -> int:
    """The size of the ``-wal`` file; -1 when there is none."""
    wal = sidecar(database, "-wal")
    return wal.stat().st_size if wal.exists() else -1

"""Benchmark of ``gardien import`` on SQLite, against a raw ``executemany`` of the same rows.

    python bench/import.py [--learners 100000] [--statements-per-learner 10] [--seed 1] [--smoke]

1. Generates (deterministically) a document of N learners with K xAPI statements each, plus a
   few learning paths, and writes it to a temporary JSON file.
2. Times ``read_document`` + ``import_document`` into a fresh, migrated SQLite file.
3. Reads back every row the import wrote (every table of gardien's schema that holds rows,
   parents first) as tuples, then times plain ``sqlite3`` ``executemany`` of exactly those rows
   into another fresh, migrated file: same schema, same pragmas (WAL, synchronous=NORMAL,
   foreign_keys=ON), one transaction.
4. Prints rows, seconds and rows/s of both, and the ratio of their throughputs.

It prints figures and asserts nothing about time (CONVENTIONS 9). ``--smoke``: 200 learners
with 3 statements each, in a second or two.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Table

from _common import figure, parse_args, quote
from gardien.domain.clock import FixedClock
from gardien.services.importing.reader import read_document
from gardien.services.importing.writer import import_document
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import metadata
from gardien.store.uow import UnitOfWork

PATHS = 5
MODULES_PER_PATH = 8
VERBS = (
    "http://adlnet.gov/expapi/verbs/launched",
    "http://adlnet.gov/expapi/verbs/attempted",
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/passed",
    "http://adlnet.gov/expapi/verbs/failed",
)
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)


def _instant(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def build_document(learners: int, per_learner: int, seed: int) -> bytes:
    """A deterministic document as JSON: ``learners`` learners, ``per_learner`` statements each.

    Records are serialised learner by learner, so that generating ten million objects does not
    leave the heap fragmented for the import measured next in the same process.
    """
    rnd = random.Random(seed)
    paths = [
        {
            "code": f"P{p:02d}",
            "title": f"Learning path {p}",
            "modules": [
                {"code": f"M{m:02d}", "title": f"Module {m}"} for m in range(MODULES_PER_PATH)
            ],
        }
        for p in range(PATHS)
    ]
    people: list[bytes] = []
    activity: list[bytes] = []
    for n in range(learners):
        email = f"learner{n:07d}@example.org"
        start = EPOCH + timedelta(minutes=rnd.randrange(0, 200_000))
        moment = start
        path = f"P{rnd.randrange(PATHS):02d}"
        statements = []
        for _ in range(per_learner):
            moment += timedelta(minutes=rnd.randrange(5, 600))
            result: dict[str, Any] = {"completion": rnd.random() < 0.7}
            if rnd.random() < 0.5:
                result["success"] = rnd.random() < 0.8
                result["score_scaled"] = round(rnd.random(), 2)
            statements.append(
                {
                    "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                    "learner": email,
                    "verb": VERBS[rnd.randrange(len(VERBS))],
                    "object": (
                        f"https://lms.example.org/paths/{path}/modules/"
                        f"M{rnd.randrange(MODULES_PER_PATH):02d}"
                    ),
                    "result": result,
                    "timestamp": _instant(moment),
                }
            )
        if statements:
            activity.append(orjson.dumps(statements)[1:-1])
        learner = {
            "email": email,
            "given_name": f"Given{n}",
            "family_name": f"Family{n}",
            "created_at": _instant(start),
            "last_activity_at": _instant(moment),
        }
        people.append(orjson.dumps(learner))
    return b"".join(
        (
            b'{"format":1,"learning_paths":',
            orjson.dumps(paths),
            b',"learners":[',
            b",".join(people),
            b'],"statements":[',
            b",".join(activity),
            b"]}",
        )
    )


def fresh_database(path: Path) -> str:
    """A new SQLite file at ``path``, migrated to head; its URL."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def connect(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the pragmas gardien's engine sets."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


TableRows = dict[str, tuple[list[str], list[tuple[Any, ...]]]]


def _key(table: Table) -> str:
    return ", ".join(quote(column.name) for column in table.primary_key.columns)


# Tables whose rows the migrations write (the database's lineage, docs/backups.md): the
# baseline's freshly migrated file has them already.
FILLED_BY_MIGRATIONS = frozenset({"erasure_lineage"})


def read_rows(path: Path) -> TableRows:
    """Every row of every table that holds some, parents first, as stored, with column names.

    Taken from the schema rather than listed, so that a table the import starts to fill is
    copied by the baseline too. (Alembic's own table is not in the metadata.)
    """
    rows = {}
    connection = connect(path)
    try:
        for table in metadata.sorted_tables:
            if table.name in FILLED_BY_MIGRATIONS:
                continue
            cursor = connection.execute(f"SELECT * FROM {quote(table.name)} ORDER BY {_key(table)}")
            values = cursor.fetchall()
            if values:
                rows[table.name] = ([d[0] for d in cursor.description], values)
    finally:
        connection.close()
    return rows


def raw_insert(path: Path, rows: TableRows) -> float:
    """Seconds to insert ``rows`` with executemany in one transaction."""
    connection = connect(path)
    try:
        started = time.perf_counter()
        connection.execute("BEGIN")
        for table, (columns, values) in rows.items():
            names = ", ".join(quote(column) for column in columns)
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"
            connection.executemany(sql, values)
        connection.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--statements-per-learner", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    options = parse_args(parser, argv, smoke={"learners": 200, "statements_per_learner": 3})

    with tempfile.TemporaryDirectory(prefix="gardien-bench-") as folder:
        workdir = Path(folder)
        started = time.perf_counter()
        source = workdir / "document.json"
        source.write_bytes(
            build_document(options.learners, options.statements_per_learner, options.seed)
        )
        size = source.stat().st_size / 1e6
        print(f"document: {size:.1f} MB generated in {time.perf_counter() - started:.1f} s")

        imported = workdir / "import.sqlite3"
        engine = make_engine(fresh_database(imported))
        # Each timed phase starts with no write-back pending from the previous one.
        os.sync()
        started = time.perf_counter()
        parsed = read_document(source)
        read_seconds = time.perf_counter() - started
        report = import_document(
            parsed,
            uow=UnitOfWork(engine),
            clock=FixedClock(NOW),
            home_page="https://gardien.example.org",
        )
        import_seconds = time.perf_counter() - started
        engine.dispose()
        del parsed

        rows = read_rows(imported)
        count = sum(len(values) for _, values in rows.values())
        for leftover in workdir.glob("import.sqlite3*"):
            leftover.unlink()
        raw_path = workdir / "raw.sqlite3"
        fresh_database(raw_path)
        os.sync()
        raw_seconds = raw_insert(raw_path, rows)

    print(report.summary())
    print(f"rows: {count:,} in {', '.join(f'{t} {len(v):,}' for t, (_, v) in rows.items())}")
    print(
        f"import (read + write): {import_seconds:.2f} s "
        f"(read {read_seconds:.2f} s), {count / import_seconds:,.0f} rows/s"
    )
    print(f"raw executemany:       {raw_seconds:.2f} s, {count / raw_seconds:,.0f} rows/s")
    figure(
        "import (read + write)",
        count / import_seconds,
        "rows/s",
        baseline="raw executemany",
        base=count / raw_seconds,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

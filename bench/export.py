"""Benchmark: a person's export beside the raw SELECT of the same rows, measured in one run.

    python bench/export.py [--sizes 1000,100000] [--repeat 3] [--postgres-url URL] [--smoke]

For each size N: one learner with N activity statements, stored as the LRS stores them (a
pseudonymised statement of about 900 bytes of JSON, with result, context and authority), among
other learners' statements, in a fresh SQLite file and, when a PostgreSQL URL is given (or
``GARDIEN_TEST_POSTGRES_URL`` / ``GARDIEN_BENCH_POSTGRES_URL`` is set), a fresh PostgreSQL
database. Then, on the same database, in the same run:

- **raw SELECT**: the indexed query of the learner's statements through the bare driver
  (``sqlite3`` / ``psycopg``), every row fetched, every column: the floor of any export;
- **export (JSON)**: gardien's export service as ``gardien subject export`` runs it
  (``open_export`` → ``json_chunks``), written to ``/dev/null``, whole;
- **export (zip)**: the portal's zip download (JSON + one CSV per category), to ``/dev/null``.

Each is timed ``--repeat`` times (best kept); then a separate run under ``tracemalloc``
gives the peak of Python memory of the JSON export, which must stay flat whatever N (the
statements are read in batches of 2,000 and never held together). The output is checked:
the JSON parses, its statement count is N. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg
from sqlalchemy import Engine

from _common import figure, postgres_admin_url
from gardien.domain.clock import FixedClock
from gardien.domain.lookup import SubjectLookup
from gardien.policy import load_policy
from gardien.services.subject_export import open_export
from gardien.store.catalogue import record_catalogue
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import activity_statement, learner
from gardien.store.uow import UnitOfWork

AS_OF = date(2026, 12, 6)
HOME = "https://gardien.example.org"
EMAIL = "apprenante.export@example.org"
OTHERS = 20  # other learners, each with a few hundred statements, around the one exported
OTHER_STATEMENTS = 300
LOOKUP = SubjectLookup("bench-export-secret")
SELECT = "SELECT * FROM activity_statement WHERE learner_id = {p} ORDER BY timestamp, id"


def _statement(pseudonym: str, statement_id: str, at: datetime, n: int) -> dict[str, Any]:
    """A statement as the LRS stores it: actor by pseudonym, authority the client."""
    module = n % 8
    return {
        "id": statement_id,
        "actor": {"objectType": "Agent", "account": {"homePage": HOME, "name": pseudonym}},
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/answered",
            "display": {"fr-FR": "a répondu", "en-US": "answered"},
        },
        "object": {
            "objectType": "Activity",
            "id": f"https://lms.example.org/parcours/FLE-B1/modules/M{module}/questions/{n % 40}",
            "definition": {
                "name": {"fr-FR": f"Question {n % 40} du module {module}"},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "interactionType": "choice",
            },
        },
        "result": {
            "success": n % 3 != 0,
            "completion": True,
            "score": {"scaled": round((n % 100) / 100, 2), "raw": n % 100, "max": 100},
            "duration": "PT1M12S",
        },
        "context": {
            "registration": "6f8e1a52-4d0b-4c3f-9a51-0c6f4c1b2e77",
            "contextActivities": {
                "parent": [{"id": f"https://lms.example.org/parcours/FLE-B1/modules/M{module}"}],
                "grouping": [{"id": "https://lms.example.org/parcours/FLE-B1"}],
            },
            "platform": "Plateforme e-learning (bench)",
            "language": "fr-FR",
        },
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "stored": at.isoformat().replace("+00:00", "Z"),
        "authority": {
            "objectType": "Agent",
            "account": {"homePage": f"{HOME}/xapi/clients", "name": "Plateforme (bench)"},
        },
        "version": "1.0.3",
    }


def _rows(learner_id: int, pseudonym: str, count: int, seed: int) -> Iterator[dict[str, Any]]:
    start = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
    for n in range(count):
        at = start + timedelta(minutes=7 * n)
        statement_id = str(uuid.UUID(int=(seed << 64) + n, version=4))
        raw = _statement(pseudonym, statement_id, at, n)
        yield {
            "statement_id": statement_id,
            "learner_id": learner_id,
            "verb": raw["verb"]["id"],
            "object_id": raw["object"]["id"],
            "result_success": raw["result"]["success"],
            "result_completion": True,
            "result_score_scaled": raw["result"]["score"]["scaled"],
            "timestamp": at,
            "stored_at": at,
            "raw": raw,
            "registration": raw["context"]["registration"],
            "voided": False,
            "client_id": None,
        }


def _learners(count: int) -> list[dict[str, Any]]:
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    return [
        {
            "pseudonym": str(uuid.UUID(int=index + 1, version=4)),
            "email": EMAIL if index == 0 else f"autre.{index}@example.org",
            "mbox_sha1sum": None,
            "given_name": "Apprenante" if index == 0 else "Autre",
            "family_name": "Export" if index == 0 else f"Personne {index}",
            "created_at": now - timedelta(days=700),
            "last_activity_at": now,
        }
        for index in range(count)
    ]


def _fill(engine: Engine, statements: int) -> int:
    """Learners and statements through SQLAlchemy Core (columns from gardien's own tables, so
    a schema change cannot silently break the benchmark); the exported learner's id."""
    with engine.begin() as connection:
        people = _learners(OTHERS + 1)
        connection.execute(learner.insert(), people)
        query = learner.select().with_only_columns(learner.c.email, learner.c.id)
        ids = {email: learner_id for email, learner_id in connection.execute(query)}
        target = ids[EMAIL]
        for seed, person in enumerate(people, start=1):
            count = statements if person["email"] == EMAIL else OTHER_STATEMENTS
            batch: list[dict[str, Any]] = []
            for row in _rows(ids[person["email"]], person["pseudonym"], count, seed):
                batch.append(row)
                if len(batch) == 5_000:
                    connection.execute(activity_statement.insert(), batch)
                    batch = []
            if batch:
                connection.execute(activity_statement.insert(), batch)
    return int(target)


def _timed(work: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def _raw_select(url: str, learner_id: int) -> Callable[[], int]:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")

        def sqlite_select() -> int:
            with sqlite3.connect(path) as connection:
                rows = connection.execute(SELECT.format(p="?"), (learner_id,)).fetchall()
            return len(rows)

        return sqlite_select

    def postgres_select() -> int:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
            rows = connection.execute(SELECT.format(p="%s"), (learner_id,)).fetchall()
        return len(rows)

    return postgres_select


def _export(engine: Engine, kind: str) -> Callable[[], int]:
    policy = load_policy(None, catalogue=record_catalogue())
    clock = FixedClock.on(AS_OF)

    def run() -> int:
        written = 0
        with (
            open(os.devnull, "wb") as sink,
            open_export(
                EMAIL, uow=UnitOfWork(engine), policy=policy, clock=clock, lookup=LOOKUP
            ) as export,
        ):
            chunks = export.json_chunks() if kind == "json" else export.zip_chunks()
            for chunk in chunks:
                sink.write(chunk)
                written += len(chunk)
        return written

    return run


def _check(engine: Engine, statements: int) -> None:
    """The export is valid JSON and holds every statement."""
    policy = load_policy(None, catalogue=record_catalogue())
    with open_export(
        EMAIL, uow=UnitOfWork(engine), policy=policy, clock=FixedClock.on(AS_OF), lookup=LOOKUP
    ) as export:
        data = orjson.loads(b"".join(export.json_chunks()))
    found = data["record_counts"].get("activity_statement", 0)
    if found != statements:
        raise SystemExit(f"export holds {found} statements, expected {statements}")


def _peak_memory(engine: Engine) -> int:
    work = _export(engine, "json")
    gc.collect()
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def _postgres_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    admin = admin_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"gardien_bench_export_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + f"/{name}"

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url, drop


def measure(url: str, statements: int, repeat: int) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        learner_id = _fill(engine, statements)
        _check(engine, statements)
        select_s, fetched = _timed(_raw_select(url, learner_id), repeat)
        assert fetched == statements
        json_s, json_bytes = _timed(_export(engine, "json"), repeat)
        zip_s, zip_bytes = _timed(_export(engine, "zip"), repeat)
        peak = _peak_memory(engine)
    finally:
        engine.dispose()
    return {
        "statements": statements,
        "select_s": select_s,
        "json_s": json_s,
        "json_mb": json_bytes / 1e6,
        "zip_s": zip_s,
        "zip_mb": zip_bytes / 1e6,
        "peak_mb": peak / 1e6,
    }


def _print(database: str, results: list[dict[str, Any]]) -> None:
    for r in results:
        n = f"{r['statements']:,} statements, {database}"
        figure(f"export JSON of {n}", r["json_s"], "s", baseline="raw SELECT", base=r["select_s"])
        figure(f"export zip of {n}", r["zip_s"], "s", baseline="raw SELECT", base=r["select_s"])
    print(f"\n{database}")
    print(
        f"{'statements':>10} {'raw SELECT':>11} {'export JSON':>12} {'ratio':>6} "
        f"{'JSON MB':>8} {'zip':>8} {'ratio':>6} {'peak MB':>8}"
    )
    for r in results:
        print(
            f"{r['statements']:>10,} {r['select_s']:>10.3f}s {r['json_s']:>11.3f}s "
            f"{r['json_s'] / r['select_s']:>6.2f} {r['json_mb']:>8.1f} {r['zip_s']:>7.3f}s "
            f"{r['zip_s'] / r['select_s']:>6.2f} {r['peak_mb']:>8.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,100000", help="statements of the learner")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres-url", default=None, help="admin URL of a PostgreSQL server")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one repeat (tests)")
    args = parser.parse_args()
    sizes = [200, 2000] if args.smoke else [int(s) for s in args.sizes.split(",")]
    repeat = 1 if args.smoke else args.repeat
    admin = args.postgres_url or postgres_admin_url()
    print(f"export benchmark: sizes {sizes}, best of {repeat}, {OTHERS} other learners")
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for size in sizes:
            path = Path(tmp) / f"export-{size}.sqlite3"
            results.append(measure(f"sqlite:///{path}", size, repeat))
        _print("SQLite", results)
    if admin and not args.skip_postgres:
        results = []
        for size in sizes:
            url, drop = _postgres_database(admin)
            try:
                results.append(measure(url, size, repeat))
            finally:
                drop()
        _print("PostgreSQL", results)
    else:
        print("\nPostgreSQL: skipped")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

"""One PostgreSQL node at scale: ingest, sweep and export on a base of 10 million statements.

    python bench/scale.py [--statements 10000000] [--small 100000] [--per-learner 100]
                          [--export-statements 1000] [--ingest 20000] [--batch 50]
                          [--clients 4] [--expired-fraction 0.01] [--seed 1]
                          [--database-url ADMIN_URL] [--smoke]

For two bases, a small one (``--small`` statements) and the large one (``--statements``), each
in a fresh PostgreSQL database made with the admin URL (``--database-url``, else
``GARDIEN_BENCH_POSTGRES_URL``, else ``GARDIEN_TEST_POSTGRES_URL``, else the development server;
an empty ``GARDIEN_BENCH_POSTGRES_URL`` skips the run) and dropped at the end:

1. **The base**, written by bulk COPY, not over HTTP (ten million statements over HTTP would
   take hours on a small machine): a schema migrated by gardien, one xAPI client registered
   through gardien's service, learners with their account and one enrolment each,
   ``--per-learner`` statements each (about 900 bytes of pseudonymised JSON, as the LRS stores
   them), one learner with ``--export-statements``. The statements are copied with the table's
   indexes and constraints dropped, then rebuilt (their definitions read from the database, so
   the schema is gardien's own), then ``VACUUM ANALYZE``. Two cohorts of
   ``--expired-fraction`` of the learners each are idle for more than 18 months.
2. **Ingest**: ``gardien serve`` on that database, and ``--ingest`` statements of learning
   sessions (bench/ingest.py's generator, active learners as actors) posted over HTTP by
   ``--clients`` threads in batches of ``--batch``, from the registered client. Baseline in the
   same run, on the same database: the rows the server stored, read back, deleted, and COPYed
   again by one connection, one transaction per batch.
3. **Export**: one learner's complete export (« Mes données », JSON, as ``gardien subject
   export`` writes it) of ``--export-statements`` statements: time and SQL queries counted.
   Baseline: the raw indexed SELECT of that learner's statements. And a page of 100 of their
   statements by ``GET /xapi/statements?agent=...`` on the running server (best of 2), beside
   the raw SELECT of that page.
4. **Sweep**: the first cohort deleted by hand-written SQL in one transaction (the baseline,
   bench/sweep.py's statements), then the real sweep (default policy, a clock fixed at the
   as-of date, audit log included, batches sized as ``gardien sweep`` sizes them) deletes the
   second cohort, of the same shape: rows/s of both.
5. Table and index sizes, and the comparison of both bases: what grows with the base, what
   grows with the learner.

It prints figures and asserts nothing about time (CONVENTIONS 9); a run whose checks fail (a
POST not answered 200, rows missing, an export short of statements) exits 1. ``--smoke``:
bases of 2,000 and 20,000 statements, in well under a minute.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from sqlalchemy import JSON, event

import _common as common
from _common import Timer, checked_columns, figure, parse_args, postgres_admin_url, quote
from gardien.domain.clock import FixedClock
from gardien.domain.lookup import SubjectLookup
from gardien.domain.retention import expiry_threshold
from gardien.policy import load_policy
from gardien.services.subject_export import open_export
from gardien.services.sweep import CLI_BATCH_SECONDS, CLI_MAX_BATCH, sweep
from gardien.services.xapi.clients import create_client
from gardien.store.catalogue import record_catalogue
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import account, activity_statement, enrolment, learner, learning_path
from gardien.store.uow import UnitOfWork
from ingest import (
    CLIENT_NAME,
    COLUMNS,
    HOME_PAGE,
    Learner,
    Postgres,
    Server,
    make_batches,
    make_learners,
    make_statements,
    post_all,
    running_server,
)
from sweep import _delete_learners, removed_rows

AS_OF = date(2026, 12, 1)
LEARNER_MONTHS = 18  # the default policy's learner rule
LOOKUP = SubjectLookup("bench-scale-secret")
LMS = "https://lms.example.org"
PATHS = 5
CHUNK = 20_000  # statement rows per COPY write
SELECT = "SELECT * FROM activity_statement WHERE learner_id = %s ORDER BY timestamp, id"
PAGE = 100  # statements a page of GET /xapi/statements by agent
PAGE_SELECT = (
    "SELECT raw FROM activity_statement WHERE learner_id = %s AND NOT voided"
    " ORDER BY stored_at DESC, id DESC LIMIT %s"
)
# The same learner and account rows as the SQLite benchmarks write (bench/_common.py).
LEARNER_COLUMNS = checked_columns(learner, common.LEARNER_COLUMNS)
ACCOUNT_COLUMNS = checked_columns(account, common.ACCOUNT_COLUMNS)
ENROLMENT_COLUMNS = checked_columns(
    enrolment,
    ("id", "learner_id", "path_id", "enrolled_at", "status", "progress", "completed_at"),
)
STATEMENT_COLUMNS = checked_columns(
    activity_statement,
    (
        "id",
        "statement_id",
        "learner_id",
        "actor_name",
        "verb",
        "object_id",
        "result_success",
        "result_completion",
        "result_score_scaled",
        "timestamp",
        "stored_at",
        "raw",
        "registration",
        "voided",
        "client_id",
    ),
)
PASSWORD_HASH = common.PASSWORD_HASH
VERBS = (
    ("experienced", "a consulté", "experienced"),
    ("completed", "a terminé", "completed"),
    ("passed", "a réussi", "passed"),
    ("failed", "a échoué", "failed"),
    ("answered", "a répondu", "answered"),
)


def _copy(table: str, columns: Sequence[str]) -> str:
    names = ", ".join(quote(c, "postgresql") for c in columns)
    return f"COPY {table} ({names}) FROM STDIN"


def _pg(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d %H:%M:%S+00")


# --- the base ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Base:
    """What a base holds, and who is who in it."""

    statements: int
    per_learner: int
    export_statements: int
    expired_fraction: float
    seed: int

    @property
    def learners(self) -> int:
        return max(4, (self.statements - self.export_statements) // self.per_learner + 1)

    @property
    def cohort(self) -> int:
        """Learners in each expired cohort."""
        return max(1, int(self.learners * self.expired_fraction))

    def describe(self) -> str:
        return (
            f"{self.statements_written():,} statements, {self.learners:,} learners"
            f" ({self.per_learner} statements each, one with {self.export_statements:,};"
            f" 2 cohorts of {self.cohort:,} expired)"
        )

    def statements_written(self) -> int:
        return (self.learners - 1) * self.per_learner + self.export_statements


@dataclass
class People:
    learners: list[Learner]
    cohort_a: range  # idle 28 to 36 months: deleted by the raw SQL
    cohort_b: range  # idle 19 to 27 months: deleted by the sweep
    exported: int  # index of the learner whose export is timed

    def active(self) -> list[Learner]:
        return self.learners[self.cohort_b.stop : self.exported]


def people(base: Base) -> People:
    found = make_learners(base.learners, base.seed)
    rnd = random.Random(f"{base.seed}:idle")
    a = range(0, base.cohort)
    b = range(base.cohort, 2 * base.cohort)

    def idle(months_low: int, months_high: int) -> datetime:
        days = rnd.randrange(months_low * 31, months_high * 30)
        return datetime.combine(AS_OF, datetime.min.time(), UTC) - timedelta(days=days)

    for index in (*a, *b):
        last = idle(28, 36) if index in a else idle(19, 27)
        found[index] = replace(
            found[index], last_activity_at=last, created_at=last - timedelta(days=400)
        )
    return People(found, a, b, exported=len(found) - 1)


def _raw(sid: str, pseudonym: str, verb: int, module: int, n: int, stamp: str, reg: str) -> str:
    name, fr, en = VERBS[verb]
    course = f"{LMS}/courses/c{module % 12:02d}"
    return (
        f'{{"id":"{sid}","actor":{{"objectType":"Agent","account":{{"homePage":"{HOME_PAGE}",'
        f'"name":"{pseudonym}"}}}},"verb":{{"id":"http://adlnet.gov/expapi/verbs/{name}",'
        f'"display":{{"fr-FR":"{fr}","en-US":"{en}"}}}},"object":{{"objectType":"Activity",'
        f'"id":"{course}/modules/m{module}/lessons/{n % 40}","definition":{{"name":'
        f'{{"fr-FR":"Module {module}, leçon {n % 40}","en-US":"Module {module}, lesson {n % 40}"}},'
        f'"type":"http://adlnet.gov/expapi/activities/lesson"}}}},"result":{{"success":'
        f'{"true" if n % 3 else "false"},"completion":true,"score":{{"scaled":{(n % 100) / 100},'
        f'"raw":{n % 100},"min":0,"max":100}},"duration":"PT{n % 50}M{n % 60}S"}},'
        f'"context":{{"registration":"{reg}","contextActivities":{{"parent":[{{"id":"{course}"}}],'
        f'"grouping":[{{"id":"{LMS}/programmes/catalogue-2026"}}]}},"platform":"Example LMS",'
        f'"language":"fr-FR"}},"timestamp":"{stamp}","stored":"{stamp}","authority":'
        f'{{"objectType":"Agent","account":{{"homePage":"{HOME_PAGE}/xapi/clients",'
        f'"name":"{CLIENT_NAME}"}}}},"version":"1.0.3"}}'
    )


def _statement_lines(base: Base, who: People, client_id: int) -> Iterator[str]:
    """COPY text lines of every learner's statements, ``CHUNK`` rows at a time.

    In rounds, each learner's next statement(s) in each, as an LRS receives them over months:
    a learner's statements lie scattered over the table's pages, not side by side (the
    exported learner writes ``export_statements / per_learner`` in each round).
    """
    rnd = random.Random(f"{base.seed}:base-statements")
    counts = [base.per_learner] * len(who.learners)
    counts[who.exported] = base.export_statements
    rounds = base.per_learner
    gap = 15_000  # seconds between two statements of a learner, on average
    registrations = [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in counts]
    moments = [
        p.last_activity_at - timedelta(seconds=gap * count)
        for p, count in zip(who.learners, counts, strict=True)
    ]
    written = [0] * len(counts)
    lines: list[str] = []
    row_id = 0
    for round_ in range(rounds):
        for index, person in enumerate(who.learners):
            share = counts[index] * (round_ + 1) // rounds - written[index]
            for _ in range(share):
                n = written[index]
                written[index] += 1
                row_id += 1
                sid = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
                verb = n % len(VERBS)
                module = rnd.randrange(8)
                moment = min(moments[index], person.last_activity_at)
                moments[index] += timedelta(seconds=300 + rnd.randrange(2 * gap - 600))
                stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
                at = _pg(moment)
                course = f"{LMS}/courses/c{module % 12:02d}"
                object_id = f"{course}/modules/m{module}/lessons/{n % 40}"
                registration = registrations[index]
                lines.append(
                    f"{row_id}\t{sid}\t{index + 1}\t{person.pseudonym}"
                    f"\thttp://adlnet.gov/expapi/verbs/{VERBS[verb][0]}\t{object_id}"
                    f"\t{'t' if n % 3 else 'f'}\tt\t{(n % 100) / 100}\t{at}\t{at}"
                    f"\t{_raw(sid, person.pseudonym, verb, module, n, stamp, registration)}"
                    f"\t{registration}\tf\t{client_id}\n"
                )
                if len(lines) == CHUNK:
                    yield "".join(lines)
                    lines = []
    if lines:
        yield "".join(lines)


def _learner_rows(who: People) -> tuple[list[tuple[Any, ...]], ...]:
    learners, accounts, enrolments = [], [], []
    for index, p in enumerate(who.learners):
        n = index + 1
        learners.append(
            (
                n,
                p.pseudonym,
                p.email,
                p.mbox_sha1sum,
                p.given_name,
                p.family_name,
                p.created_at,
                p.last_activity_at,
            )
        )
        accounts.append(
            (
                n,
                p.email,
                "learner",
                n,
                PASSWORD_HASH,
                p.created_at,
                p.created_at,
                p.created_at,
                p.last_activity_at,
            )
        )
        done = index % 3 == 0
        enrolments.append(
            (
                n,
                n,
                index % PATHS + 1,
                p.created_at,
                "completed" if done else "in_progress",
                100 if done else index % 100,
                p.last_activity_at if done else None,
            )
        )
    return learners, accounts, enrolments


@dataclass
class Dropped:
    """Constraints and indexes taken off for a bulk load, to put back in order."""

    foreign_keys: list[tuple[str, str, str]]  # table, name, definition
    keys: list[tuple[str, str]]  # name, definition (primary key, unique)
    indexes: list[str]  # CREATE INDEX statements


def _drop_for_load(cursor: psycopg.Cursor[Any], table: str) -> Dropped:
    foreign = cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE contype = 'f' AND (conrelid = %s::regclass OR confrelid = %s::regclass)",
        (table, table),
    ).fetchall()
    keys = cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE contype IN ('p', 'u') AND conrelid = %s::regclass ORDER BY contype",
        (table,),
    ).fetchall()
    indexes = cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        (table, table),
    ).fetchall()
    for owner, name, _ in foreign:
        cursor.execute(f"ALTER TABLE {owner} DROP CONSTRAINT {name}")
    for name, _ in keys:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return Dropped(foreign, keys, [definition for _, definition in indexes])


def _restore(cursor: psycopg.Cursor[Any], table: str, dropped: Dropped) -> None:
    for name, definition in dropped.keys:
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for definition in dropped.indexes:
        cursor.execute(definition)
    for owner, name, definition in dropped.foreign_keys:
        cursor.execute(f"ALTER TABLE {owner} ADD CONSTRAINT {name} {definition}")


@dataclass
class Built:
    url: str
    name: str
    key: str
    secret: str
    seconds: dict[str, float] = field(default_factory=dict)


def build(pg: Postgres, base: Base, who: People, suffix: str) -> Built:
    """A fresh database holding ``base``: schema by gardien, rows by COPY."""
    name = pg.create(suffix)
    url = pg.url(name)
    engine = make_engine(url)
    try:
        upgrade(engine)
        made = create_client(
            UnitOfWork(engine, write=True), name=CLIENT_NAME, clock=FixedClock.on(date(2026, 1, 5))
        )
    finally:
        engine.dispose()
    built = Built(url, name, made.key, made.secret)
    learners, accounts, enrolments = _learner_rows(who)
    with psycopg.connect(url) as connection:
        cursor = connection.cursor()
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("SET synchronous_commit = off")
        (client_id,) = cursor.execute("SELECT id FROM xapi_client").fetchone() or (None,)
        with Timer() as timer:
            cursor.executemany(
                "INSERT INTO learning_path (id, code, title) VALUES (%s, %s, %s)",
                [(p + 1, f"P{p:02d}", f"Parcours {p}") for p in range(PATHS)],
            )
            for table, columns, rows in (
                ("learner", LEARNER_COLUMNS, learners),
                ("account", ACCOUNT_COLUMNS, accounts),
                ("enrolment", ENROLMENT_COLUMNS, enrolments),
            ):
                with cursor.copy(_copy(table, columns)) as copy:
                    for row in rows:
                        copy.write_row(row)
            connection.commit()
        built.seconds["learners, accounts, enrolments"] = timer.seconds
        dropped = _drop_for_load(cursor, "activity_statement")
        connection.commit()
        with Timer() as timer:
            with cursor.copy(_copy("activity_statement", STATEMENT_COLUMNS)) as copy:
                for lines in _statement_lines(base, who, int(client_id)):
                    copy.write(lines)
            connection.commit()
        built.seconds["statements (COPY, no index)"] = timer.seconds
        with Timer() as timer:
            _restore(cursor, "activity_statement", dropped)
            connection.commit()
        built.seconds["indexes and constraints rebuilt"] = timer.seconds
        for table in (learner, account, enrolment, learning_path, activity_statement):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                f" (SELECT max(id) FROM {table.name}))"
            )
        connection.commit()
    with psycopg.connect(url, autocommit=True) as connection, Timer() as timer:
        connection.execute("VACUUM ANALYZE")
    built.seconds["VACUUM ANALYZE"] = timer.seconds
    return built


def sizes(url: str) -> dict[str, int]:
    """Bytes of the database, of activity_statement's heap (with TOAST) and of each index."""
    with psycopg.connect(url) as connection:
        (database,) = connection.execute(
            "SELECT pg_database_size(current_database())"
        ).fetchone() or (0,)
        (heap,) = connection.execute("SELECT pg_table_size('activity_statement')").fetchone() or (
            0,
        )
        found = {"database": database, "activity_statement (table)": heap}
        for name, size in connection.execute(
            "SELECT indexname, pg_relation_size(indexname::regclass) FROM pg_indexes"
            " WHERE tablename = 'activity_statement' ORDER BY indexname"
        ):
            found[name] = size
        for table in ("learner", "account", "enrolment"):
            found[f"{table} (with indexes)"] = connection.execute(
                "SELECT pg_total_relation_size(%s::regclass)", (table,)
            ).fetchone()[0]
    return found


# --- the measurements --------------------------------------------------------------------------


@dataclass
class Ingest:
    statements: int
    seconds: float
    p50: float
    p95: float
    raw_seconds: float
    query: Query

    @property
    def rate(self) -> float:
        return self.statements / self.seconds

    @property
    def raw_rate(self) -> float:
        return self.statements / self.raw_seconds


@dataclass
class Query:
    """``GET /xapi/statements?agent=...`` of the exported learner: one page, best of repeats."""

    statements: int
    seconds: float
    select_seconds: float


def measure_query(server: Server, headers: dict[str, str], built: Built, who: People) -> Query:
    """A page of the exported learner's statements by agent, beside its raw SELECT."""
    person = who.learners[who.exported]
    agent = orjson.dumps({"objectType": "Agent", "mbox": f"mailto:{person.email}"}).decode()
    best, count = float("inf"), 0
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=600) as client:
        for _ in range(2):
            with Timer() as timer:
                response = client.get("/xapi/statements", params={"agent": agent, "limit": PAGE})
            if response.status_code != 200:
                raise SystemExit(f"GET by agent: HTTP {response.status_code} {response.text[:300]}")
            best, count = min(best, timer.seconds), len(response.json()["statements"])
    select_best = float("inf")
    with psycopg.connect(built.url) as connection:
        for _ in range(2):
            with Timer() as timer:
                connection.execute(PAGE_SELECT, (who.exported + 1, PAGE)).fetchall()
            select_best = min(select_best, timer.seconds)
    return Query(count, best, select_best)


def _count(url: str) -> int:
    with psycopg.connect(url) as connection:
        return int(connection.execute("SELECT count(*) FROM activity_statement").fetchone()[0])


def measure_ingest(built: Built, who: People, args: argparse.Namespace, workdir: Path) -> Ingest:
    """HTTP ingest of ``args.ingest`` statements, then the same rows again by COPY."""
    statements = make_statements(who.active(), args.ingest + 4 * args.batch, args.seed)
    batches = make_batches(statements, args.batch)
    warmup, timed = batches[:4], batches[4:]
    headers = {
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "Authorization": "Basic "
        + base64.b64encode(f"{built.key}:{built.secret}".encode()).decode(),
    }
    before = _count(built.url)
    with running_server(
        built.url, workers=1, workdir=workdir, tag=built.name, profile=None
    ) as server:
        load = post_all(server, headers, warmup, timed, args.clients, database=built.name)
        query = measure_query(server, headers, built, who)
    if load.failures:
        tail = server.log.read_text(errors="replace")[-2000:]
        raise SystemExit(f"ingest failed: {load.failures[:3]}\n{tail}")
    stored = _count(built.url) - before
    if stored != len(statements):
        raise SystemExit(f"ingest: {stored} statements stored, {len(statements)} sent")
    return Ingest(
        load.statements,
        load.seconds,
        load.percentile(50),
        load.percentile(95),
        _raw_ingest(built.url, before, warm=len(statements) - load.statements, batch=args.batch),
        query,
    )


def _raw_ingest(url: str, before: int, *, warm: int, batch: int) -> float:
    """Seconds to COPY again the rows the server stored, one transaction per batch.

    The rows are read back as stored (JSONB as its text), deleted with the agents the server
    wrote for them, and copied again into the same table, in the order they were stored: the
    same indexes, of the same size, take them. The warm-up rows go first, untimed.
    """
    listed = ", ".join(
        f"{quote(c, 'postgresql')}::text"
        if isinstance(activity_statement.c[c].type, JSON)
        else quote(c, "postgresql")
        for c in COLUMNS
    )
    with psycopg.connect(url) as connection:
        cursor = connection.cursor()
        (first,) = cursor.execute(
            "SELECT id FROM activity_statement ORDER BY id OFFSET %s LIMIT 1", (before,)
        ).fetchone()
        rows = cursor.execute(
            f"SELECT {listed} FROM activity_statement WHERE id >= %s ORDER BY id", (first,)
        ).fetchall()
        cursor.execute(
            "DELETE FROM statement_agent WHERE statement_id IN"
            " (SELECT statement_id FROM activity_statement WHERE id >= %s)",
            (first,),
        )
        cursor.execute("DELETE FROM activity_statement WHERE id >= %s", (first,))
        connection.commit()
        sql = _copy("activity_statement", COLUMNS)

        def insert(chunk: Sequence[tuple[Any, ...]]) -> None:
            with connection.transaction(), cursor.copy(sql) as copy:
                for row in chunk:
                    copy.write_row(row)

        for start in range(0, warm, batch):
            insert(rows[start : min(start + batch, warm)])
        with Timer() as timer:
            for start in range(warm, len(rows), batch):
                insert(rows[start : start + batch])
    if _count(url) != before + len(rows):
        raise SystemExit("raw ingest: rows missing after the COPY")
    return timer.seconds


@dataclass
class Export:
    statements: int
    seconds: float
    queries: int
    megabytes: float
    select_seconds: float
    slowest: list[tuple[float, str]]  # the export's slowest SQL statements: seconds, text


def measure_export(built: Built, who: People, repeat: int) -> Export:
    """The exported learner's JSON export, best of ``repeat``, its queries counted."""
    engine = make_engine(built.url)
    queries = 0
    timed: list[tuple[float, str]] = []
    started: list[float] = []

    def before(*_: object) -> None:
        nonlocal queries
        queries += 1
        started.append(time.perf_counter())

    def after(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        timed.append((time.perf_counter() - started.pop(), " ".join(statement.split())))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    policy = load_policy(None, catalogue=record_catalogue())
    email = who.learners[who.exported].email
    best, written, counts = float("inf"), 0, 0
    slowest: list[tuple[float, str]] = []
    try:
        for _ in range(repeat):
            queries, written = 0, 0
            timed.clear()
            with (
                Timer() as timer,
                open(os.devnull, "wb") as sink,
                open_export(
                    email,
                    uow=UnitOfWork(engine),
                    policy=policy,
                    clock=FixedClock.on(AS_OF),
                    lookup=LOOKUP,
                ) as export,
            ):
                for chunk in export.json_chunks():
                    sink.write(chunk)
                    written += len(chunk)
            if timer.seconds < best:
                best, counts, slowest = timer.seconds, queries, sorted(timed, reverse=True)[:3]
    finally:
        engine.dispose()
    select_best = float("inf")
    with psycopg.connect(built.url) as connection:
        for _ in range(repeat):
            with Timer() as timer:
                rows = connection.execute(SELECT, (who.exported + 1,)).fetchall()
            select_best = min(select_best, timer.seconds)
    return Export(len(rows), best, counts, written / 1e6, select_best, slowest)


@dataclass
class Sweep:
    raw_rows: int
    raw_seconds: float
    rows: int
    seconds: float
    batches: int


def measure_sweep(built: Built, who: People) -> Sweep:
    """Cohort A by raw SQL (one transaction), then cohort B by the real sweep."""
    midnight = datetime.combine(AS_OF, datetime.min.time(), UTC)
    cut_a = max(who.learners[i].last_activity_at for i in who.cohort_a) + timedelta(seconds=1)
    threshold = datetime.combine(expiry_threshold(AS_OF, LEARNER_MONTHS), datetime.min.time(), UTC)
    assert cut_a < threshold < midnight
    with psycopg.connect(built.url) as connection:
        # The learners first, then their rows by an array of ids: a subquery would let
        # PostgreSQL hash-join the whole statement table, not what the sweep does.
        ids = [
            row[0]
            for row in connection.execute(
                "SELECT id FROM learner WHERE last_activity_at < %s", (cut_a,)
            )
        ]
        # Both cohorts' rows read once, untimed: the phase that runs first must not pay alone
        # for bringing its pages in (bench/sweep.py warms its files the same way).
        connection.execute(
            "SELECT sum(length(raw::text)) FROM activity_statement WHERE learner_id <= %s",
            (len(who.cohort_a) + len(who.cohort_b),),
        )
        with Timer() as raw_timer, connection.transaction():
            raw = _delete_learners(
                connection,  # psycopg answers as sqlite3 does here
                "SELECT unnest(%s::integer[])",
                (ids,),
            )
    engine = make_engine(built.url)
    batches = 0

    def progress(_rule: str, _done: int, _total: int) -> None:
        nonlocal batches
        batches += 1

    try:
        with Timer() as timer:
            report = sweep(
                engine,
                policy=load_policy(None, catalogue=record_catalogue()),
                clock=FixedClock.on(AS_OF),
                lookup=LOOKUP,
                batch_size=CLI_MAX_BATCH,
                batch_seconds=CLI_BATCH_SECONDS,
                progress=progress,
            )
    finally:
        engine.dispose()
    swept: Counter[str] = removed_rows(report)
    if raw["learner"] != len(who.cohort_a) or swept["learner"] != len(who.cohort_b):
        raise SystemExit(f"sweep: {dict(raw)} by raw SQL, {dict(swept)} by the sweep")
    return Sweep(sum(raw.values()), raw_timer.seconds, sum(swept.values()), timer.seconds, batches)


# --- output ------------------------------------------------------------------------------------


@dataclass
class Result:
    base: Base
    built: Built
    sizes: dict[str, int]
    ingest: Ingest
    export: Export
    sweep: Sweep


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def report(result: Result, label: str) -> None:
    base, n = result.base, f"{result.base.statements_written():,}"
    print(f"\n== {label} base: {base.describe()}")
    for what, seconds in result.built.seconds.items():
        print(f"  build: {what:<34} {seconds:9.1f} s")
    for what, size in result.sizes.items():
        print(f"  size: {what:<44} {_mb(size):>12}")
    per = result.sizes["activity_statement (table)"] / base.statements_written()
    print(f"  bytes per statement (heap and TOAST): {per:,.0f}")
    i = result.ingest
    print(
        f"  ingest: {i.statements:,} statements over HTTP in {i.seconds:.2f} s,"
        f" {i.rate:,.0f}/s, latency p50 {i.p50 * 1000:.0f} ms p95 {i.p95 * 1000:.0f} ms;"
        f" raw COPY per batch {i.raw_rate:,.0f}/s"
    )
    figure(
        f"PostgreSQL ingest over HTTP at {n} statements",
        i.rate,
        "statements/s",
        baseline="raw COPY, one transaction per batch",
        base=i.raw_rate,
    )
    q = i.query
    print(
        f"  GET /xapi/statements by agent: {q.statements} statements in {q.seconds:.3f} s;"
        f" raw SELECT of the page {q.select_seconds:.4f} s"
    )
    figure(
        f"PostgreSQL GET by agent (a page of {q.statements}) at {n} statements",
        q.seconds,
        "s",
        baseline="raw SELECT of the page",
        base=q.select_seconds,
    )
    e = result.export
    print(
        f"  export: {e.statements:,} statements, {e.megabytes:.1f} MB of JSON in {e.seconds:.3f} s,"
        f" {e.queries} SQL queries; raw SELECT {e.select_seconds:.3f} s"
    )
    for seconds, statement in e.slowest:
        shown = statement[max(0, statement.find(" FROM ")) :][:240]
        print(f"    slowest query {seconds * 1000:8.1f} ms: SELECT ...{shown}")
    figure(
        f"PostgreSQL export of {e.statements:,} statements at {n} statements",
        e.seconds,
        "s",
        baseline="raw SELECT",
        base=e.select_seconds,
    )
    s = result.sweep
    print(
        f"  sweep: {s.rows:,} rows in {s.seconds:.2f} s ({s.rows / s.seconds:,.0f} rows/s,"
        f" {s.batches} progress marks); raw SQL {s.raw_rows:,} rows in {s.raw_seconds:.2f} s"
    )
    figure(
        f"PostgreSQL sweep at {n} statements",
        s.rows / s.seconds,
        "rows/s",
        baseline="raw DELETE, one transaction",
        base=s.raw_rows / s.raw_seconds,
    )


def compare(small: Result, large: Result) -> None:
    growth = large.base.statements_written() / small.base.statements_written()
    print(f"\n== large / small: {growth:,.0f} times the statements")
    rows = (
        ("ingest statements/s", small.ingest.rate, large.ingest.rate),
        ("raw COPY statements/s", small.ingest.raw_rate, large.ingest.raw_rate),
        ("GET by agent seconds", small.ingest.query.seconds, large.ingest.query.seconds),
        ("export seconds", small.export.seconds, large.export.seconds),
        ("export SQL queries", small.export.queries, large.export.queries),
        ("raw SELECT seconds", small.export.select_seconds, large.export.select_seconds),
        (
            "sweep rows/s",
            small.sweep.rows / small.sweep.seconds,
            large.sweep.rows / large.sweep.seconds,
        ),
        (
            "raw DELETE rows/s",
            small.sweep.raw_rows / small.sweep.raw_seconds,
            large.sweep.raw_rows / large.sweep.raw_seconds,
        ),
        ("database MB", small.sizes["database"] / 1e6, large.sizes["database"] / 1e6),
    )
    print(f"  {'':<24} {'small':>12} {'large':>12} {'large/small':>12}")
    for what, a, b in rows:
        print(f"  {what:<24} {a:>12,.3f} {b:>12,.3f} {b / a if a else 0:>12.2f}")


# --- main --------------------------------------------------------------------------------------


def run(pg: Postgres, base: Base, label: str, args: argparse.Namespace, workdir: Path) -> Result:
    who = people(base)
    print(f"\n{label}: building {base.describe()} (load average {os.getloadavg()[0]:.1f})")
    sys.stdout.flush()
    built = build(pg, base, who, label)
    found = sizes(built.url)
    print(f"  built in {sum(built.seconds.values()):.0f} s, load {os.getloadavg()[0]:.1f}")
    sys.stdout.flush()
    ingest = measure_ingest(built, who, args, workdir)
    export = measure_export(built, who, args.repeat)
    if export.statements != base.export_statements:
        raise SystemExit(f"export: {export.statements} statements, {base.export_statements} held")
    swept = measure_sweep(built, who)
    pg.drop(built.name)
    result = Result(base, built, found, ingest, export, swept)
    report(result, label)
    sys.stdout.flush()
    return result


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--statements", type=int, default=10_000_000, help="the large base")
    parser.add_argument("--small", type=int, default=100_000, help="the small base")
    parser.add_argument("--per-learner", type=int, default=100)
    parser.add_argument("--export-statements", type=int, default=1_000)
    parser.add_argument("--ingest", type=int, default=20_000, help="statements over HTTP")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--expired-fraction", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url", "--postgres-url", dest="database_url", help="admin URL of PostgreSQL"
    )
    return parse_args(
        parser,
        argv,
        smoke={
            "statements": 20_000,
            "small": 2_000,
            "per_learner": 20,
            "export_statements": 100,
            "ingest": 500,
            "clients": 2,
            "expired_fraction": 0.05,
            "repeat": 1,
        },
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    admin = args.database_url or postgres_admin_url()
    if not admin:
        print("PostgreSQL: skipped (this benchmark is PostgreSQL's alone)")
        return 0
    pg = Postgres(admin)
    try:
        with psycopg.connect(pg.admin_url) as connection:
            version = connection.execute("SHOW server_version").fetchone()[0]
        print(
            f"scale benchmark on PostgreSQL {version}, {os.cpu_count()} CPUs,"
            f" {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        )
        bases = [
            Base(size, args.per_learner, args.export_statements, args.expired_fraction, args.seed)
            for size in (args.small, args.statements)
        ]
        with tempfile.TemporaryDirectory() as tmp:
            small = run(pg, bases[0], "small", args, Path(tmp))
            large = run(pg, bases[1], "large", args, Path(tmp))
        compare(small, large)
    finally:
        pg.close()
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    sys.exit(code)

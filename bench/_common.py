"""What the benchmarks share: their conventions, and synthetic learners written fast.

Conventions, so that ``tests/integration/test_benchmarks.py`` can run every ``bench/*.py`` (not
starting with ``_``) and a benchmark cannot rot unnoticed:

- ``--smoke`` (:func:`parse_args`) runs it at a size that takes a few seconds; explicit size
  arguments still win over the smoke ones.
- Each comparison with the baseline ends in one line printed by :func:`figure`, which the test
  reads: ``figure: <what> <number> <unit>; baseline (<what>) <number> <unit>; ratio <r>``.
- A PostgreSQL part takes an admin URL (a role that may create databases) from
  :func:`postgres_admin_url`, makes its own scratch databases and drops them; an empty
  ``GARDIEN_BENCH_POSTGRES_URL`` means no PostgreSQL, and the benchmark prints
  ``PostgreSQL: skipped``.
- Rows written by hand name their columns through :func:`insert_sql`, checked against gardien's
  SQLAlchemy tables: a column gone, or a new one the schema requires, stops the benchmark with
  :class:`SchemaDrift` before it writes anything.

Synthetic learners for the sweep benchmark: the schema is gardien's own (a fresh file migrated
with ``upgrade``); only the rows are written by hand, in the exact text forms gardien stores on
SQLite (``store/bulk.py``): instants as naive UTC ``YYYY-MM-DD HH:MM:SS.ffffff``, booleans as
0/1, JSON as text. :func:`check_readable` reads some back through the SQLAlchemy tables, so a
form gardien no longer reads fails the run too.

Expired learners are spread at random among the others, as ids are given at sign-up and
activity has nothing to do with them, and draw their content from their own random stream: two
databases with the same number of expired learners hold the same expired learners (same
pseudonyms, statements and dates), whatever the number of unexpired ones around them.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import random
import shutil
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite

from gardien.store.engine import SQLITE_PRAGMAS, make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import (
    account,
    activity_statement,
    enrolment,
    learner,
    learning_module,
    learning_path,
)

POSTGRES_ENV = "GARDIEN_BENCH_POSTGRES_URL"
TEST_POSTGRES_ENV = "GARDIEN_TEST_POSTGRES_URL"
# The development server of the README, when neither variable is set.
DEFAULT_POSTGRES_URL = "postgresql://gardien:gardien@127.0.0.1:5432/postgres"


# --- conventions -------------------------------------------------------------------------------


def parse_args(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None, *, smoke: dict[str, object]
) -> argparse.Namespace:
    """Parse ``argv`` with a ``--smoke`` flag that makes ``smoke`` the defaults.

    Arguments given explicitly still win, so ``--smoke --learners 50`` is a smaller smoke run.
    """
    sizes = ", ".join(f"--{key.replace('_', '-')} {value}" for key, value in smoke.items())
    parser.add_argument(
        "--smoke", action="store_true", help=f"a run of a few seconds ({sizes}); checks, no figures"
    )
    probe, _ = parser.parse_known_args(argv)
    if probe.smoke:
        parser.set_defaults(**smoke)
    options = parser.parse_args(argv)
    if options.smoke:
        print(f"smoke run ({sizes}): it proves the benchmark runs; its figures mean little")
    return options


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def figure(what: str, value: float, unit: str, *, baseline: str, base: float) -> None:
    """Print a measured figure, its baseline's measured in the same run, and their ratio."""
    ratio = value / base if base else math.inf
    print(
        f"figure: {what} {_number(value)} {unit}; baseline ({baseline}) {_number(base)} {unit};"
        f" ratio {ratio:.2f}"
    )


def postgres_admin_url() -> str | None:
    """The admin URL of a PostgreSQL part, or None when PostgreSQL is to be skipped.

    ``GARDIEN_BENCH_POSTGRES_URL`` first (empty: skip), then the test suite's
    ``GARDIEN_TEST_POSTGRES_URL``, then the local development server.
    """
    for name in (POSTGRES_ENV, TEST_POSTGRES_ENV):
        if name in os.environ:
            return os.environ[name] or None
    return DEFAULT_POSTGRES_URL


class SchemaDrift(RuntimeError):
    """A benchmark writes a column the schema lacks, or leaves out one the schema requires."""


def required_columns(table: Table) -> list[str]:
    """Columns a row of ``table`` must name: not null, no default, not the generated key."""
    generated = table.autoincrement_column
    return [
        column.name
        for column in table.c
        if not column.nullable
        and column is not generated
        and column.default is None
        and column.server_default is None
    ]


def checked_columns(table: Table, names: Sequence[str]) -> tuple[str, ...]:
    """``names`` if every one is a column of ``table`` and they include every required one."""
    unknown = [name for name in names if name not in table.c]
    missing = [name for name in required_columns(table) if name not in names]
    if unknown or missing:
        raise SchemaDrift(
            f"table {table.name}: the benchmark writes {unknown or 'no unknown column'}"
            f" and leaves out required {missing or 'nothing'}: update its rows to the schema"
        )
    return tuple(names)


_DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}


def quote(name: str, dialect: str = "sqlite") -> str:
    """``name`` quoted as ``dialect`` needs it (``timestamp`` is a keyword of PostgreSQL)."""
    return str(_DIALECTS[dialect].identifier_preparer.quote(name))


def insert_sql(table: Table, names: Sequence[str], *, dialect: str = "sqlite") -> str:
    """``INSERT INTO table (names) VALUES (...)`` for the plain driver, names checked first."""
    columns = ", ".join(quote(name, dialect) for name in checked_columns(table, names))
    marks = ", ".join(("?" if dialect == "sqlite" else "%s") for _ in names)
    return f"INSERT INTO {quote(table.name, dialect)} ({columns}) VALUES ({marks})"


def written_columns(table: Table) -> tuple[str, ...]:
    """Every column of ``table`` but its generated key: what a copy of its rows must carry."""
    return tuple(c.name for c in table.c if c is not table.autoincrement_column)


# --- synthetic learners ------------------------------------------------------------------------

PATHS = 5
MODULES_PER_PATH = 8
VERBS = (
    "http://adlnet.gov/expapi/verbs/launched",
    "http://adlnet.gov/expapi/verbs/attempted",
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/passed",
    "http://adlnet.gov/expapi/verbs/failed",
)
HOME_PAGE = "https://gardien.example.org"
# Same length as a real argon2id hash, so learner rows weigh what they would.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$" + "c2FsdHNhbHRzYWx0c2FsdA" + "$" + "h" * 43
DAY = 86_400
# Idle time before the as-of date, in seconds. Expired: 19 to 36 months (18 calendar months
# are at most 553 days); recent: up to 16 months (at least 486 days below the threshold).
EXPIRED_IDLE = (589 * DAY, 1_116 * DAY)
RECENT_IDLE = (0, 480 * DAY)
# Learners per executemany round: bounds memory.
CHUNK = 20_000
# Bytes per statement row with its two indexes, measured on generated files (for the disk check).
BYTES_PER_STATEMENT = 730
BYTES_PER_LEARNER = 850  # with their account and enrolment
# Rows per learner besides statements: the learner, their account, one enrolment.
ROWS_PER_LEARNER = 3
# The columns each generated row names, in the order of its tuple (checked against the tables).
LEARNER_COLUMNS = (
    "id",
    "pseudonym",
    "email",
    "mbox_sha1sum",
    "given_name",
    "family_name",
    "created_at",
    "last_activity_at",
)
ACCOUNT_COLUMNS = (
    "id",
    "email",
    "role",
    "learner_id",
    "password_hash",
    "created_at",
    "activated_at",
    "password_changed_at",
    "last_sign_in_at",
)
ENROLMENT_COLUMNS = (
    "id",
    "learner_id",
    "path_id",
    "contract_id",
    "enrolled_at",
    "status",
    "progress",
    "completed_at",
)
STATEMENT_COLUMNS = (
    "statement_id",
    "learner_id",
    "verb",
    "object_id",
    "result_success",
    "result_completion",
    "result_score_scaled",
    "timestamp",
    "stored_at",
    "raw",
)


@dataclass(frozen=True)
class Shape:
    """How many expired and unexpired learners, statements per learner, and the file's layout.

    ``chronological`` (the default) writes the rows in the order a platform receives them:
    learners by sign-up, so those idle for 18 months come first, as on a real platform that
    has run for years. ``random`` scatters the expired learners among the others, the worst
    case for page locality. E-mail addresses, pseudonyms and statement ids are random in both,
    so their indexes are scattered either way.
    """

    expired: int
    unexpired: int
    statements: int
    layout: str = "chronological"

    @property
    def learners(self) -> int:
        return self.expired + self.unexpired

    def rows(self) -> int:
        """Rows of learners, accounts, enrolments and statements (the catalogue aside)."""
        return self.learners * (ROWS_PER_LEARNER + self.statements)

    def expired_rows(self) -> int:
        """Rows that go with the expired learners."""
        return self.expired * (ROWS_PER_LEARNER + self.statements)

    def estimated_bytes(self) -> int:
        return self.learners * (BYTES_PER_LEARNER + self.statements * BYTES_PER_STATEMENT)

    def describe(self) -> str:
        return (
            f"{self.learners:,} learners ({self.expired:,} expired, {self.unexpired:,} not), "
            f"{self.statements} statements each, {self.layout} layout"
        )


def fresh_database(path: Path) -> None:
    """A new SQLite file at ``path`` with gardien's schema, migrated to head."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()


def connect(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the pragmas gardien's engine sets."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:
        connection.execute(f"PRAGMA {pragma}")
    return connection


class _Instants:
    """Instants as whole seconds before the as-of noon, written as gardien stores them.

    store/bulk.py's ``_sqlite_instant``: naive UTC, always six decimals. Formatting ten million
    datetimes costs more than writing them, so days and times of day are looked up.
    """

    def __init__(self, as_of: date, span_days: int) -> None:
        noon = datetime.combine(as_of, datetime.min.time()).replace(hour=12)
        self.noon = 12 * 3600
        # Day 0 is the as-of date; day k is k days before it.
        self.days = [(noon - timedelta(days=k)).date().isoformat() for k in range(span_days + 2)]
        self.times = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000" for s in range(DAY)]

    def text(self, before: int) -> str:
        """The instant ``before`` seconds before noon of the as-of date."""
        day, second = divmod(self.noon - before, DAY)
        return f"{self.days[-day]} {self.times[second]}"


# The variant digit of an RFC 4122 UUID (8, 9, a or b) from any random hex digit.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def _uuid(rnd: random.Random) -> str:
    """A random (version 4) UUID's text from ``rnd``, so that a seed gives the same ones."""
    h = rnd.randbytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


RowList = list[tuple[object, ...]]
Rows = tuple[RowList, RowList, RowList, RowList]  # learners, accounts, enrolments, statements
# Seconds between two statements of a learner, and before their first one for sign-up.
GAP = (300, 180_000)
SIGN_UP = 30 * DAY


def _learners(shape: Shape, as_of: date, seed: int) -> Iterator[Rows]:
    """Learner, account, enrolment and statement rows, ``CHUNK`` learners at a time."""
    total = shape.learners
    if shape.layout == "random":
        expired_at = set(random.Random(f"{seed}:positions").sample(range(total), shape.expired))
    else:  # chronological: everyone idle for 18 months signed up before everyone active since
        expired_at = set(range(shape.expired))
    streams = {
        True: (random.Random(f"{seed}:expired"), EXPIRED_IDLE),
        False: (random.Random(f"{seed}:recent"), RECENT_IDLE),
    }
    per = shape.statements
    span = (EXPIRED_IDLE[1] + per * GAP[1] + SIGN_UP) // DAY
    instants = _Instants(as_of, span)
    text = instants.text
    picks = len(VERBS) * MODULES_PER_PATH
    gap_low, gap_width = GAP[0], GAP[1] - GAP[0]
    for first in range(0, total, CHUNK):
        learners: RowList = []
        accounts: RowList = []
        enrolments: RowList = []
        statements: RowList = []
        for n in range(first, min(first + CHUNK, total)):
            rnd, (low, high) = streams[n in expired_at]
            random_ = rnd.random
            learner_id = n + 1
            pseudonym = _uuid(rnd)
            path = int(random_() * PATHS)
            # Seconds before the as-of noon: the last activity, then each earlier statement.
            last = low + int(random_() * (high - low))
            moments = [last]
            for _ in range(per - 1):
                moments.append(moments[-1] + gap_low + int(random_() * gap_width))
            moments.reverse()
            agent = (
                f'{{"objectType":"Agent","account":{{"homePage":"{HOME_PAGE}",'
                f'"name":"{pseudonym}"}}}}'
            )
            prefix = f"https://lms.example.org/paths/P{path:02d}/modules/M0"
            for moment in moments:
                statement_id = _uuid(rnd)
                pick = int(random_() * picks)
                verb = VERBS[pick % len(VERBS)]
                activity = f"{prefix}{pick // len(VERBS)}"
                stored = text(moment)
                v = random_()
                success, score = (int(v < 0.4), round(v * 2, 2)) if v < 0.5 else (None, None)
                statements.append(
                    (
                        statement_id,
                        learner_id,
                        verb,
                        activity,
                        success,
                        int(v < 0.7),
                        score,
                        stored,
                        stored,
                        f'{{"id":"{statement_id}","actor":{agent},"verb":{{"id":"{verb}"}},'
                        f'"object":{{"id":"{activity}"}},'
                        f'"timestamp":"{stored[:10]}T{stored[11:19]}Z"}}',
                    )
                )
            created = text(moments[0] + int(random_() * SIGN_UP))
            email = f"{pseudonym[:8]}.{n}@example.org"
            learners.append(
                (
                    learner_id,
                    pseudonym,
                    email,
                    hashlib.sha1(f"mailto:{email}".encode()).hexdigest(),
                    f"Given{n}",
                    f"Family{n}",
                    created,
                    text(last),
                )
            )
            # Every learner signed in with a password; the last sign-in was their last activity.
            accounts.append(
                (
                    learner_id,
                    email,
                    "learner",
                    learner_id,
                    PASSWORD_HASH,
                    created,
                    created,
                    created,
                    text(last),
                )
            )
            done = random_() < 0.3
            enrolments.append(
                (
                    learner_id,
                    learner_id,
                    path + 1,
                    None,
                    created,
                    "completed" if done else "in_progress",
                    100 if done else int(random_() * 100),
                    text(last) if done else None,
                )
            )
        yield learners, accounts, enrolments, statements


def generate(path: Path, shape: Shape, *, as_of: date, seed: int) -> int:
    """Write ``shape``'s learners into a fresh gardien database at ``path``; rows written."""
    fresh_database(path)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # A new file that nobody reads yet: no journal, no syncs, a large page cache (the
        # statement_id index takes random inserts). WAL is set back before anyone uses it.
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000"):
            connection.execute(f"PRAGMA {pragma}")
        connection.execute("BEGIN")
        connection.executemany(
            insert_sql(learning_path, ("id", "code", "title")),
            [(p + 1, f"P{p:02d}", f"Learning path {p}") for p in range(PATHS)],
        )
        connection.executemany(
            insert_sql(learning_module, ("path_id", "code", "title", "position")),
            [
                (p + 1, f"M{m:02d}", f"Module {m}", m)
                for p in range(PATHS)
                for m in range(MODULES_PER_PATH)
            ],
        )
        rows = PATHS * (1 + MODULES_PER_PATH)
        inserts = [
            insert_sql(learner, LEARNER_COLUMNS),
            insert_sql(account, ACCOUNT_COLUMNS),
            insert_sql(enrolment, ENROLMENT_COLUMNS),
            insert_sql(activity_statement, STATEMENT_COLUMNS),
        ]
        for tables in _learners(shape, as_of, seed):
            for sql, values in zip(inserts, tables, strict=True):
                connection.executemany(sql, values)
                rows += len(values)
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()
    check_readable(path, (learner, account, enrolment, activity_statement))
    return rows


def check_readable(path: Path, tables: Sequence[Table]) -> None:
    """Read the first and last rows of ``tables`` through gardien's column types.

    Rows written by hand in a text form gardien no longer reads (an instant, a JSON document)
    fail here, not in the middle of a timed phase.
    """
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            for table in tables:
                key = list(table.primary_key.columns)
                for order in (key, [column.desc() for column in key]):
                    connection.execute(select(table).order_by(*order).limit(2)).all()
    finally:
        engine.dispose()


def copy_database(source: Path, target: Path) -> None:
    """An identical copy of a closed database (its WAL is checkpointed and gone on close)."""
    for leftover in (Path(f"{source}-wal"), Path(f"{source}-shm")):
        if leftover.exists() and leftover.stat().st_size:
            raise RuntimeError(f"{leftover} is not empty: close every connection first")
    shutil.copyfile(source, target)


def warm(path: Path) -> None:
    """Read the whole file once, so that a timed phase starts with it in the OS page cache.

    Without this, the first phase after a copy pays for whatever the copy left uncached, and
    a comparison of two files measures the kernel as much as the database.
    """
    with path.open("rb", buffering=0) as file:
        while file.read(1 << 24):
            pass


def remove_database(path: Path) -> None:
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        name.unlink(missing_ok=True)


def snapshot(path: Path) -> dict[str, tuple[int, int]]:
    """Per table: row count and the sum of rowids (the same rows, not just as many)."""
    connection = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version' ORDER BY name"
            )
        ]
        return {
            table: connection.execute(f"SELECT count(*), total(rowid) FROM {table}").fetchone()
            for table in tables
        }
    finally:
        connection.close()


class Timer:
    """``with Timer() as t: ...; t.seconds``."""

    def __enter__(self) -> Timer:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = time.perf_counter() - self.started

"""Synthetic learners for the sweep benchmark, written fast with plain ``sqlite3``.

The schema is gardien's own (a fresh file migrated with ``upgrade``); only the rows are written
by hand, in the exact text forms gardien stores on SQLite (``store/bulk.py``): instants as naive
UTC ``YYYY-MM-DD HH:MM:SS.ffffff``, booleans as 0/1, JSON as text.

Expired learners are spread at random among the others, as ids are given at sign-up and
activity has nothing to do with them, and draw their content from their own random stream: two
databases with the same number of expired learners hold the same expired learners (same
pseudonyms, statements and dates), whatever the number of unexpired ones around them.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from gardien.store.engine import SQLITE_PRAGMAS, make_engine
from gardien.store.migrate import upgrade

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
BYTES_PER_STATEMENT = 680
BYTES_PER_LEARNER = 500


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
        """Rows of learners, enrolments and statements (the catalogue aside)."""
        return self.learners * (2 + self.statements)

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


Rows = tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]
# Seconds between two statements of a learner, and before their first one for sign-up.
GAP = (300, 180_000)
SIGN_UP = 30 * DAY


def _learners(shape: Shape, as_of: date, seed: int) -> Iterator[Rows]:
    """Learner, enrolment and statement rows, ``CHUNK`` learners at a time."""
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
        learners: list[tuple[object, ...]] = []
        enrolments: list[tuple[object, ...]] = []
        statements: list[tuple[object, ...]] = []
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
            learners.append(
                (
                    learner_id,
                    pseudonym,
                    f"{pseudonym[:8]}.{n}@example.org",
                    f"Given{n}",
                    f"Family{n}",
                    PASSWORD_HASH,
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
        yield learners, enrolments, statements


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
            "INSERT INTO learning_path (id, code, title) VALUES (?, ?, ?)",
            [(p + 1, f"P{p:02d}", f"Learning path {p}") for p in range(PATHS)],
        )
        connection.executemany(
            "INSERT INTO learning_module (path_id, code, title, position) VALUES (?, ?, ?, ?)",
            [
                (p + 1, f"M{m:02d}", f"Module {m}", m)
                for p in range(PATHS)
                for m in range(MODULES_PER_PATH)
            ],
        )
        rows = PATHS * (1 + MODULES_PER_PATH)
        for learners, enrolments, statements in _learners(shape, as_of, seed):
            connection.executemany(
                "INSERT INTO learner (id, pseudonym, email, given_name, family_name,"
                " password_hash, created_at, last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                learners,
            )
            connection.executemany(
                "INSERT INTO enrolment (id, learner_id, path_id, contract_id, enrolled_at,"
                " status, progress, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                enrolments,
            )
            connection.executemany(
                "INSERT INTO activity_statement (statement_id, learner_id, verb, object_id,"
                " result_success, result_completion, result_score_scaled, timestamp,"
                " stored_at, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                statements,
            )
            rows += len(learners) + len(enrolments) + len(statements)
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()
    return rows


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

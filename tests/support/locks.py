"""Locks held on purpose: two concurrent writers that overlap for certain on PostgreSQL (the
race tests), and another process holding the database's write lock (the busy tests)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine, select, text

from gardien.store.audit import append_audit
from gardien.store.engine import normalise_url
from gardien.store.tables import audit_head

GATE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


@contextmanager
def audit_head_held(engine: Engine, *, waiters: int = 2) -> Iterator[Callable[[], None]]:
    """Hold the audit chain's head; yield a job releasing it once ``waiters`` sessions wait.

    Every audited write locks the head before it commits, so writers that reach it wait there
    with what they wrote so far uncommitted: a second writer of the same row then meets the
    first one's uncommitted row, which a barrier alone makes likely, not certain. Run the job
    with the writers (``run_together``). On SQLite, which admits one writer at a time from
    BEGIN IMMEDIATE on, there is no such overlap to arrange: the job does nothing.
    """
    if engine.dialect.name != "postgresql":
        yield lambda: None
        return
    with engine.connect() as gate:
        append_audit(gate, action="test.gate", actor="test", details={}, recorded_at=GATE_TIME)
        gate.commit()
        gate.execute(select(audit_head).with_for_update()).all()

        def release() -> None:
            try:
                wait_for_lock_waits(engine, waiters)
            finally:  # never leave the writers blocked
                gate.commit()

        try:
            yield release
        finally:
            gate.rollback()


def wait_for_lock_waits(engine: Engine, waiting: int) -> None:
    """Return once ``waiting`` sessions of this PostgreSQL database wait for a lock."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 30
    with engine.connect() as connection:
        while connection.execute(query).scalar_one() < waiting:
            connection.rollback()
            assert time.monotonic() < deadline, f"{waiting} sessions never waited together"
            time.sleep(0.02)


# The other process of the "busy database" tests: it takes the write lock, says "locked", holds
# it until a line comes on stdin, rolls back and says "released". SQLite: BEGIN IMMEDIATE on a
# plain sqlite3 connection (what an import or a sweep batch holds). PostgreSQL: the tables
# named, locked against writers (readers pass), as a long batch holding their rows would.
_HOLDER = """
import sys
url, tables = sys.argv[1], sys.argv[2].split(",")
if url.startswith("sqlite:///"):
    import sqlite3
    connection = sqlite3.connect(url[len("sqlite:///"):], isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
else:
    import psycopg
    connection = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    connection.execute("LOCK TABLE " + ", ".join(tables) + " IN EXCLUSIVE MODE")
print("locked", flush=True)
sys.stdin.readline()
if url.startswith("sqlite:///"):
    connection.execute("ROLLBACK")
else:
    connection.rollback()
print("released", flush=True)
"""


class WriteLockHolder:
    """Another process holding the database's write lock (see ``_HOLDER``) until released."""

    def __init__(self, url: str, *, tables: Sequence[str] = ()) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, normalise_url(url), ",".join(tables)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if line != "locked":
            self._process.kill()
            raise AssertionError(f"the lock holder did not take the lock: {line!r}")
        self.since = time.monotonic()

    @property
    def holding(self) -> bool:
        return self._process.poll() is None

    def release(self) -> None:
        """Roll the holder's transaction back; return once it said so and ended."""
        if self._process.poll() is not None:
            return
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write("release\n")
        self._process.stdin.flush()
        said = self._process.stdout.readline().strip()
        self._process.wait(timeout=30)
        self._process.stdin.close()
        self._process.stdout.close()
        assert said == "released", said

    def __enter__(self) -> WriteLockHolder:
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            self.release()
        finally:
            if self._process.poll() is None:  # never leave it holding the database
                self._process.kill()
                self._process.wait()

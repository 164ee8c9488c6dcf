"""The writers of one SQLite database, one at a time, queued instead of polling (docs/busy.md, 4).

SQLite has one write lock per file. A unit of work that writes (store/uow.py) first takes its
engine's :class:`WriteGate`: a lock between the threads of this process, then the ``flock`` of
a file beside the database between processes. PostgreSQL's writers run side by side: its
engines have no gate (:func:`write_gate` gives None).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
from pathlib import Path

from sqlalchemy import Engine

from gardien.errors import BusyError

BUSY = "another writer holds the database: nothing was written, try again"

# Beside a SQLite database file, the file whose lock gardien's writers of every process queue
# on (left in place: removing it would let a waiter lock a file nobody else sees).
WRITERS_LOCK_SUFFIX = ".writers-lock"
# How often a writer of another process looks whether the file lock is free.
_FILE_LOCK_POLL_SECONDS = 0.0005


class WriteGate:
    """The writers of one SQLite engine, one at a time: the threads of this process, then the
    processes (web workers, commands) that write to the same file.

    SQLite has one write lock per file, and a writer that finds it taken polls for it, sleeping
    longer each time (up to 100 ms): with several requests writing at once, the lock would often
    lie free while they sleep. Taking this gate first makes them queue instead: a plain lock,
    handed over the moment it is released, between the threads of this process; then the lock
    of a file beside the database (``flock``), looked at every half millisecond, between
    processes. The SQLite lock then waits only for writers that are not gardien's. A writer
    waits for the gate at most the engine's budget, then :class:`~gardien.errors.BusyError`,
    and the SQLite lock only for what is left of it.
    """

    def __init__(self, wait_ms: int, lock_file: Path | None = None) -> None:
        self.wait_ms = wait_ms
        self._lock = threading.Lock()
        self._lock_file = lock_file
        self._fd: int | None = None

    def enter(self, *, wait: bool) -> int | None:
        """Take the gate; the milliseconds left of the budget for the SQLite lock (None: the
        whole budget, which is the connection's busy timeout)."""
        started = time.monotonic()
        if not wait:
            if not self._lock.acquire(blocking=False):
                raise BusyError(BUSY)
        elif not self._lock.acquire(blocking=False) and not self._lock.acquire(
            timeout=self.wait_ms / 1000
        ):
            raise BusyError(BUSY)
        try:
            waited = self._enter_file(started, wait=wait)
        except BaseException:
            self._lock.release()
            raise
        if not wait:
            return 0
        if not waited and time.monotonic() - started < 0.001:
            return None
        waited_ms = int((time.monotonic() - started) * 1000)
        return max(1, self.wait_ms - waited_ms)

    def _enter_file(self, started: float, *, wait: bool) -> bool:
        """Take the file lock within what is left of the budget; whether it had to wait."""
        if self._lock_file is None:
            return False
        if self._fd is None:
            self._fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        if _try_flock(self._fd):
            return False
        deadline = started + self.wait_ms / 1000
        while wait and time.monotonic() < deadline:
            time.sleep(_FILE_LOCK_POLL_SECONDS)
            if _try_flock(self._fd):
                return True
        raise BusyError(BUSY)

    def leave(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._lock.release()


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


_GATES: weakref.WeakKeyDictionary[Engine, WriteGate] = weakref.WeakKeyDictionary()


def add_gate(engine: Engine, gate: WriteGate) -> None:
    """Make ``gate`` the one of ``engine``'s writers (store/engine.py, for each SQLite engine)."""
    _GATES[engine] = gate


def write_gate(engine: Engine) -> WriteGate | None:
    """The gate of ``engine``'s writers (SQLite), or None (PostgreSQL: writers run together)."""
    return _GATES.get(engine)

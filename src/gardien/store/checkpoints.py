"""WAL checkpoints off the request path, for the web server's SQLite database.

SQLite in WAL mode appends every commit to the ``-wal`` file; a *checkpoint* copies those pages
back into the database file and syncs it to disk. By default the commit that takes the WAL past
1,000 pages runs the checkpoint itself, so one request in a few waits for a disk sync and for
thousands of page writes that are not its own: measured in process with ``bench/ingest.py``'s
statements, checkpoints were a third of what a batch cost to store (docs/performance.md, "Ingest").

The web server's engine (``make_engine(url, background_checkpoints=True)``) leaves that to a
thread of its own, :class:`Checkpointer`: every :data:`EVERY_SECONDS` it runs a ``PASSIVE``
checkpoint, which waits for nobody and lets writers go on. A busy writer may append pages while
it runs, so the WAL cannot always start over; when the file passes :data:`RESTART_BYTES`, the
checkpoint is a ``RESTART`` instead, taken at the writers' gate (store/engine.py): it waits for
the writer in progress, and the next one starts the WAL from its beginning. Connections still
checkpoint by themselves past
:data:`~gardien.store.engine.CHECKPOINT_FALLBACK_PAGES` (about 80 MB), should the thread be
stopped or fall behind: a bound, never the usual path.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from sqlalchemy import Engine

from gardien.store.write_gate import write_gate

log = logging.getLogger(__name__)

EVERY_SECONDS = 1.0
RESTART_BYTES = 64 * 1024 * 1024


class Checkpointer:
    """A daemon thread checkpointing ``engine``'s SQLite file until :meth:`stop`."""

    def __init__(self, engine: Engine, *, every: float = EVERY_SECONDS) -> None:
        if engine.dialect.name != "sqlite":
            raise ValueError("checkpoints are SQLite's: PostgreSQL does its own")
        database = engine.url.database or ""
        self._wal = f"{database}-wal"
        self._engine = engine
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True)
        self.runs = 0

    def start(self) -> Checkpointer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread after a last checkpoint; returns when it has ended."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        raw = self._engine.raw_connection()
        try:
            while True:
                stopping = self._stop.wait(self._every)
                self._checkpoint(raw.driver_connection)
                if stopping:
                    return
        finally:
            raw.close()

    def _checkpoint(self, connection: Any) -> None:
        restart = self._wal_bytes() > RESTART_BYTES
        mode = "RESTART" if restart else "PASSIVE"
        # A RESTART waits for the writer in progress; taking the writers' gate first keeps this
        # process's next ones from slipping in meanwhile (they queue for a moment instead).
        gate = write_gate(self._engine) if restart else None
        try:
            if gate is not None:
                gate.enter(wait=True)
            try:
                connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
                self.runs += 1
            finally:
                if gate is not None:
                    gate.leave()
        except Exception as error:  # a checkpoint left for the next turn is no harm
            log.warning("WAL checkpoint (%s) not done: %s", mode, type(error).__name__)

    def _wal_bytes(self) -> int:
        try:
            return os.path.getsize(self._wal)
        except OSError:
            return 0

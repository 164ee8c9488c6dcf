"""The unit of work: one connection, one transaction, committed only when asked."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine

from gardien.store.engine import SQLITE_BEGIN, SQLITE_WAIT_MS
from gardien.store.write_gate import WriteGate, write_gate


class UnitOfWork:
    """``with UnitOfWork(engine) as uow: ...; uow.commit()``: anything not committed rolls back.

    ``wait=False`` (with ``write=True``) is for a write that can just as well happen later
    (a session's touch): on SQLite it takes the write lock only if nobody holds it, else
    raises :class:`~gardien.errors.BusyError` at once rather than after the engine's wait.
    """

    def __init__(self, engine: Engine, *, write: bool = False, wait: bool = True) -> None:
        self._engine = engine
        self._write = write
        self._wait = wait
        self._connection: Connection | None = None
        self._gate: WriteGate | None = None

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not open")
        return self._connection

    def __enter__(self) -> Self:
        gate = write_gate(self._engine) if self._write else None
        # On SQLite, writers of this process queue at the engine's gate (store/engine.py).
        wait_ms = gate.enter(wait=self._wait) if gate is not None else None
        try:
            connection = self._engine.connect()
        except BaseException:
            if gate is not None:
                gate.leave()
            raise
        if self._write:
            # On SQLite, take the write lock at BEGIN: a transaction that selects rows and
            # then changes them must not interleave with another writer (two sweeps).
            connection = connection.execution_options(
                **{SQLITE_BEGIN: "IMMEDIATE", SQLITE_WAIT_MS: wait_ms}
            )
        try:
            connection.begin()
        except BaseException:
            # A BEGIN that failed (on SQLite, a write lock never granted: BusyError) gives
            # the connection back now: __exit__ does not run when __enter__ raises.
            connection.close()
            if gate is not None:
                gate.leave()
            raise
        self._connection = connection
        self._gate = gate
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection = self.connection
        try:
            if connection.in_transaction():
                connection.rollback()
        finally:
            connection.close()
            self._connection = None
            if self._gate is not None:
                self._gate.leave()
                self._gate = None

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()

"""Writers take turns, so that waiting writers never hold every thread (docs/busy.md, 3).

A pure ASGI middleware, innermost of the app's own: a request with a method that may write
(anything but GET, HEAD and OPTIONS) waits on the event loop, which costs no thread, for one of
:data:`WRITE_TURNS` turns, and holds it until its answer is sent. Past the request's budget
(``GARDIEN_WRITE_WAIT_SECONDS``, the same as for a database lock) it is answered 503 by the
app's busy handler without having touched the database. Reads pass straight through, at no
cost (a dependency of the whole app would cost every page an exit stack).

Batches of xAPI statements take a narrower turn still, :data:`BATCH_TURN`: one at a time in
each process (docs/busy.md, 5).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from gardien.errors import BusyError
from gardien.web.handlers import busy_answer

# At most this many requests write at once. Readers then always keep most of the thread pool
# (anyio's 40 threads) even while writers wait out their budget on a database another writer
# holds. Eight is far more than SQLite's one writer at a time needs.
WRITE_TURNS = 8
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteTurnsMiddleware:
    """At most :data:`WRITE_TURNS` writing requests at once; the others wait their budget."""

    def __init__(self, app: ASGIApp, *, wait_seconds: float) -> None:
        self.app = app
        self.wait_seconds = wait_seconds
        # Made on first use, on the loop that serves the app (anyio primitives belong to the
        # loop they are used on); requests run on that one loop, so there is no race here.
        self._turns: anyio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        if self._turns is None:
            self._turns = anyio.Semaphore(WRITE_TURNS)
        turns = self._turns
        with anyio.move_on_after(self.wait_seconds) as waited:
            await turns.acquire()
        if waited.cancelled_caught:  # the acquire was cancelled: no turn is held
            problem = BusyError("every write turn stayed taken: nothing was written, try again")
            answer = await busy_answer(Request(scope, receive), problem)
            await answer(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            turns.release()


class BatchTurn:
    """One batch of statements at a time in this process: parsed, validated and stored by one
    thread while the others of the process wait (docs/busy.md, 5).

    A batch is mostly Python, and the threads of one process share one interpreter lock. A
    thread that holds the database's write lock (SQLite's, or on PostgreSQL the row locks of
    its learners) gives the interpreter up at each call into the database and must then win it
    back from the threads preparing other batches: measured, its write lock was held 7-9 ms a
    batch instead of 4.5. With one batch at a time per process, the worker processes take turns
    instead: one writes while another prepares.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @contextmanager
    def taken(self, wait_seconds: float) -> Iterator[None]:
        """Hold the turn; :class:`~gardien.errors.BusyError` when it stays taken past
        ``wait_seconds`` (nothing was read or written)."""
        if not self._lock.acquire(timeout=wait_seconds):
            raise BusyError("another batch of statements held the turn: nothing was stored")
        try:
            yield
        finally:
            self._lock.release()


BATCH_TURN = BatchTurn()

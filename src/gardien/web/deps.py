"""Dependencies shared by the routes, as ``Annotated`` aliases and plain getters.

Route handlers are plain functions: FastAPI runs them in its thread pool, so the database,
Argon2, templates and files never block the event loop. What must be awaited is read here,
on the loop, before the handler runs: the form (:data:`FormDep`) and the raw body
(:data:`BodyDep`). :func:`write_turn` keeps writers from taking every thread (docs/busy.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import Depends, Request
from starlette.datastructures import FormData

from gardien.bootstrap import Container
from gardien.errors import BusyError
from gardien.web.ratelimit import Limits
from gardien.web.templating import Pages

# At most this many requests write at once; the others wait for their turn on the event
# loop, which costs no thread. Readers then always keep most of the thread pool (anyio's 40
# threads) even while writers wait out their budget on a database another writer holds.
WRITE_TURNS = 8
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_container(request: Request) -> Container:
    container = request.app.state.container
    assert isinstance(container, Container)
    return container


def get_pages(request: Request) -> Pages:
    pages = request.app.state.pages
    assert isinstance(pages, Pages)
    return pages


def get_limits(request: Request) -> Limits:
    limits = request.app.state.limits
    assert isinstance(limits, Limits)
    return limits


async def read_form(request: Request) -> FormData:
    """The request's form, read on the event loop so that its handler can be a plain def."""
    return await request.form()


async def read_body(request: Request) -> bytes:
    """The request's raw body, read on the event loop (the xAPI's JSON)."""
    return await request.body()


def _turns(request: Request) -> anyio.Semaphore:
    # Made on first use, on the event loop that serves the app (anyio primitives belong to
    # the loop they are used on); requests run on that one loop, so there is no race here.
    turns = getattr(request.app.state, "write_turns", None)
    if turns is None:
        turns = anyio.Semaphore(WRITE_TURNS)
        request.app.state.write_turns = turns
    assert isinstance(turns, anyio.Semaphore)
    return turns


async def write_turn(request: Request) -> AsyncIterator[None]:
    """A turn to write for every request but GET, HEAD and OPTIONS (a dependency of the app).

    The wait for a turn is bounded by the same budget as the wait for a lock: past it, the
    request answers 503 (:class:`BusyError`) without having touched the database.
    """
    if request.method in SAFE_METHODS:
        yield
        return
    turns = _turns(request)
    with anyio.move_on_after(get_container(request).settings.write_wait_seconds) as waited:
        await turns.acquire()
    if waited.cancelled_caught:  # the acquire was cancelled: no turn is held
        raise BusyError("every write turn stayed taken: nothing was written, try again")
    try:
        yield
    finally:
        turns.release()


ContainerDep = Annotated[Container, Depends(get_container)]
PagesDep = Annotated[Pages, Depends(get_pages)]
FormDep = Annotated[FormData, Depends(read_form)]
BodyDep = Annotated[bytes, Depends(read_body)]

"""Dependencies shared by the routes, as ``Annotated`` aliases and plain getters.

Route handlers are plain functions: FastAPI runs them in its thread pool, so the database,
Argon2, templates and files never block the event loop. What must be awaited is read here,
on the loop, before the handler runs: the form (:data:`FormDep`) and the raw body
(:data:`BodyDep`). Writers take turns in web/write_turns.py (docs/busy.md).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from gardien.bootstrap import Container
from gardien.web.ratelimit import Limits
from gardien.web.templating import Pages


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


# FastAPI runs a plain-function dependency in the thread pool, a hop that costs more than what
# these getters do: the ``Annotated`` aliases below use coroutine twins, run on the loop.
async def container_on_loop(request: Request) -> Container:
    return get_container(request)


async def pages_on_loop(request: Request) -> Pages:
    return get_pages(request)


async def read_form(request: Request) -> FormData:
    """The request's form, read on the event loop so that its handler can be a plain def."""
    return await request.form()


async def read_body(request: Request) -> bytes:
    """The request's raw body, read on the event loop (the xAPI's JSON)."""
    return await request.body()


ContainerDep = Annotated[Container, Depends(container_on_loop)]
PagesDep = Annotated[Pages, Depends(pages_on_loop)]
FormDep = Annotated[FormData, Depends(read_form)]
BodyDep = Annotated[bytes, Depends(read_body)]

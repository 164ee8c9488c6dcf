"""Dependencies shared by the routes, as ``Annotated`` aliases and plain getters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

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


ContainerDep = Annotated[Container, Depends(get_container)]
PagesDep = Annotated[Pages, Depends(get_pages)]

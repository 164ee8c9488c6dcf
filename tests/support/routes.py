"""Every route of the web app, through its included routers, for tests that walk them all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any


def every_route(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, frozenset[str]]]:
    """``(path, methods)`` of every route, FastAPI's own (OpenAPI, docs) included; HEAD,
    which Starlette adds to every GET, is left out."""
    for route in routes:
        if hasattr(route, "original_router"):
            inner = prefix + route.include_context.prefix
            yield from every_route(route.original_router.routes, inner)
        elif getattr(route, "methods", None):
            yield prefix + route.path, frozenset(route.methods) - {"HEAD"}


def unprefixed(path: str) -> str:
    """The route's path without its English prefix, parameters without their converter."""
    path = re.sub(r"\{(\w+):\w+\}", r"{\1}", path)
    if path == "/en":
        return "/"
    return path[3:] if path.startswith("/en/") else path

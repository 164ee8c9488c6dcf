"""Walk the app's routes, through included routers, for the tests that must cover them all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute


def api_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every APIRoute, through included routers (FastAPI keeps them as included objects)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            inner = prefix + route.include_context.prefix
            yield from api_routes(route.original_router.routes, inner)


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
    """The route's path without its language prefix, ``{name:path}`` written ``{name}``."""
    path = re.sub(r"\{(\w+):\w+\}", r"{\1}", path)
    if path == "/en":
        return "/"
    return path[3:] if path.startswith("/en/") else path

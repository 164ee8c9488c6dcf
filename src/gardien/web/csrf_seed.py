"""The CSRF seed cookie: a random value that forms shown before sign-in are bound to.

A pure ASGI middleware (no ``BaseHTTPMiddleware``, which costs a task and a stream per
request): it reads the seed from the request's cookies, makes one when there is none, and
puts it where :func:`gardien.web.auth.csrf_token` reads it (``request.state.csrf_seed``).
A fresh seed is sent back on the pages that can carry a form: answers to GET in HTML, except
the public pages (home and notice), which show no form to a visitor who is not signed in and
stay cacheable that way (web/security_headers.py).
"""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gardien.domain.cookies import HOST_PREFIX
from gardien.settings import Environment
from gardien.web.auth import CSRF_COOKIE
from gardien.web.security_headers import PUBLIC_PAGES

# A seed longer than this was not made here: it is replaced.
MAX_SEED = 100


def seed_cookie(name: str, value: str, *, secure: bool) -> str:
    """The ``Set-Cookie`` value of a seed, with the attributes of every gardien cookie."""
    carrier = Response()
    carrier.set_cookie(name, value, httponly=True, samesite="lax", secure=secure, path="/")
    return carrier.headers["set-cookie"]


class CsrfSeedMiddleware:
    """Gives every visitor a random CSRF seed cookie on the first form page they open."""

    def __init__(self, app: ASGIApp, *, environment: Environment) -> None:
        self.app = app
        self.secure = environment is not Environment.DEVELOPMENT
        self.name = f"{HOST_PREFIX}{CSRF_COOKIE}" if self.secure else CSRF_COOKIE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seed = ""
        for name, value in scope["headers"]:
            if name == b"cookie":
                seed = cookie_parser(value.decode("latin-1")).get(self.name, "") or seed
        fresh = None if seed and len(seed) <= MAX_SEED else secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf_seed"] = fresh or seed
        if fresh is None or scope["method"] != "GET" or scope["path"] in PUBLIC_PAGES:
            await self.app(scope, receive, send)
            return
        cookie = seed_cookie(self.name, fresh, secure=self.secure)

        async def send_seeded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_seeded)

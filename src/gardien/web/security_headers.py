"""Security headers on every answer of the web app: pages, JSON, xAPI, errors, redirects and
streamed downloads alike (docs/security-headers.md says why each header is what it is).

A pure ASGI middleware: it rewrites the headers of ``http.response.start`` and passes the body
through untouched, so a streamed download stays streamed. ``create_app`` adds it last, which
makes it the outermost of the app's own middleware: it sees the cookies the others set.

Starlette keeps its ``ServerErrorMiddleware`` outside every middleware of the app, so an
exception that escapes the app would be answered there, without these headers. The middleware
therefore answers it itself, as ``ServerErrorMiddleware`` would (the app's own 500 handler, or
a bare 500), then raises it again so that the server still logs it; ``ServerErrorMiddleware``
sees the answer started and sends nothing more.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import re
from typing import Any

from fastapi.exception_handlers import http_exception_handler
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request, cookie_parser
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gardien.domain.cookies import HOST_PREFIX
from gardien.settings import Environment
from gardien.web.auth import SESSION_COOKIE
from gardien.web.stylesheet import PATH as STYLESHEET_PATH

# gardien's pages run no script and load nothing from elsewhere: everything is denied but the
# site's own stylesheet (and an image of its own, should a page ever show one), forms that post
# back to the site, and no framing at all (the erasure form and the DPO console cannot be
# clickjacked).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# Every powerful feature off, for the page and anything it could embed. Only features
# Chromium knows: an unknown name is an error in its console (``interest-cohort``, FLoC's
# switch, was withdrawn in 2022; ``browsing-topics`` is what replaced it).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)
HSTS = "max-age=63072000; includeSubDomains"
NO_STORE = "no-store"
PUBLIC_BRIEFLY = "public, max-age=300"
# The same for every visitor who is not signed in (no form, hence no CSRF token, and nothing
# personal): caches may keep them five minutes. Every other answer is ``no-store``.
PUBLIC_PAGES = frozenset({"/", "/en", "/confidentialite", "/privacy"})
_SESSION_COOKIES = frozenset({SESSION_COOKIE, HOST_PREFIX + SESSION_COOKIE})
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def fixed_headers(*, production: bool) -> dict[str, str]:
    """The headers every answer carries, whatever it is."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        # Same-origin requests keep their Referer (and form posts an honest Origin, which
        # ``no-referrer`` would turn into ``null``); no address, a token link's included,
        # ever leaves for another site.
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        # For browsers that predate frame-ancestors.
        "X-Frame-Options": "DENY",
    }
    if production:
        # Production only: a development server on http://127.0.0.1 must not pin a browser to
        # HTTPS for every service on that host for two years.
        headers["Strict-Transport-Security"] = HSTS
    return headers


def cache_control(
    *, method: str, path: str, status: int, signed_in: bool, sets_cookie: bool, given: str | None
) -> str:
    """``Cache-Control`` of an answer: ``no-store`` unless it is a public page (or the
    stylesheet) sent to someone not signed in, without a cookie that a cache would hand on."""
    if method not in ("GET", "HEAD") or status != 200 or signed_in or sets_cookie:
        return NO_STORE
    if path in PUBLIC_PAGES:
        return PUBLIC_BRIEFLY
    if path == STYLESHEET_PATH:
        return given or PUBLIC_BRIEFLY
    return NO_STORE


def carries_session(scope: Scope) -> bool:
    """Whether the request has a session cookie (live or not: both are answered ``no-store``)."""
    for name, value in scope["headers"]:
        if name == b"cookie" and _SESSION_COOKIES & cookie_parser(value.decode("latin-1")).keys():
            return True
    return False


def _docs_paths(scope: Scope) -> set[str]:
    app = scope.get("app")
    docs = getattr(app, "docs_url", None)
    if docs is None:
        return set()
    return {docs, getattr(app, "swagger_ui_oauth2_redirect_url", None) or docs}


def docs_policy(html: bytes) -> str:
    """The CSP of FastAPI's Swagger UI page (a page for developers, with no personal data): its
    script and stylesheet come from a CDN, and its inline script is allowed by its digest."""
    digests = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src https://cdn.jsdelivr.net {digests}; "
        "style-src https://cdn.jsdelivr.net 'unsafe-inline'; "
        "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


class SecurityHeadersMiddleware:
    """Adds :func:`fixed_headers` and :func:`cache_control` to every HTTP answer."""

    def __init__(self, app: ASGIApp, *, environment: Environment) -> None:
        self.app = app
        self.fixed = fixed_headers(production=environment is Environment.PRODUCTION)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        signed_in = carries_session(scope)
        started = False
        out = _DocsSender(send).send if scope["path"] in _docs_paths(scope) else send

        def secure(message: Message) -> None:
            headers = MutableHeaders(scope=message)
            for name, value in self.fixed.items():
                headers[name] = value
            public = cache_control(
                method=scope["method"],
                path=scope["path"],
                status=message["status"],
                signed_in=signed_in,
                sets_cookie="set-cookie" in headers,
                given=headers.get("cache-control"),
            )
            headers["Cache-Control"] = public
            if scope["path"] in PUBLIC_PAGES and public != NO_STORE:
                # The page differs once signed in: a cache must not serve the anonymous copy.
                headers.add_vary_header("Cookie")

        async def send_secured(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                secure(message)
            await out(message)

        try:
            await self.app(scope, receive, send_secured)
        except Exception as error:
            if started or getattr(scope.get("app"), "debug", False):
                raise
            response = await _answer_for(scope, receive, error)
            await response(scope, receive, send_secured)
            if isinstance(error, HTTPException):
                return  # answered as the app's outer layers would have; nothing to log
            raise


async def _answer_for(scope: Scope, receive: Receive, error: Exception) -> Response:
    """What the layers outside the app's middleware would answer ``error`` with."""
    request = Request(scope, receive)
    if isinstance(error, HTTPException):  # e.g. a body over the app's size limit
        return await http_exception_handler(request, error)
    handler: Any = None
    handlers: dict[Any, Any] = getattr(scope.get("app"), "exception_handlers", {})
    for key, value in handlers.items():
        if key in (500, Exception):
            handler = value
    if handler is None:
        return PlainTextResponse("Internal Server Error", status_code=500)
    if inspect.iscoroutinefunction(handler):
        answer = await handler(request, error)
    else:
        answer = await run_in_threadpool(handler, request, error)
    assert isinstance(answer, Response)
    return answer


class _DocsSender:
    """Holds back the (small) Swagger UI page until its body is known, to allow its inline
    script by digest rather than open ``script-src`` to every inline script. It sits after
    the middleware's own sender, so its policy replaces the site's one on these pages."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._start: Message | None = None
        self._chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._start = message
            return
        if message["type"] != "http.response.body" or self._start is None:
            await self._send(message)
            return
        self._chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(self._chunks)
        MutableHeaders(scope=self._start)["Content-Security-Policy"] = docs_policy(body)
        await self._send(self._start)
        await self._send({"type": "http.response.body", "body": body, "more_body": False})

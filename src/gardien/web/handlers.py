"""How the pages answer errors: sign in first, not yours, bad form, busy, no such page.

Every error a person's browser meets is a page of the site (``error.html``) in the language of
the address, with a way back home: the errors of gardien's own tree, Starlette's (an unknown
address, a method the address does not take) and an unexpected one (500). The machines'
addresses (``/api/``, ``/xapi/``) keep their JSON answers, as does a client that asks for JSON
and not for HTML.

Most handlers are plain functions: Starlette runs them in its thread pool, like the routes,
since a page reads the session (the database) to show who is signed in. The busy answer and
the answers that may be JSON are async (see :func:`busy_answer`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from gardien.errors import (
    BlobStoreError,
    BusyError,
    CsrfError,
    NotFoundError,
    PermissionDeniedError,
    RequestStateError,
    SignInRequired,
    StatementTimeoutError,
)
from gardien.services.xapi.ingest import VERSION as XAPI_VERSION
from gardien.web.auth import current_session
from gardien.web.forms import N_, PREFIXES, page_base, translate

log = logging.getLogger(__name__)

# What a busy answer tells the client to wait: long enough for most sweep batches and import
# transactions to end, short enough for a person about to press the button again.
BUSY_RETRY_AFTER_SECONDS = 5


def lang_of(request: Request) -> str:
    path = request.url.path
    return "en" if path == "/en" or path.startswith("/en/") else "fr"


# The addresses whose errors stay JSON whatever the client accepts.
_MACHINE_PREFIXES = ("/api/", "/xapi/")
_MACHINE_PATHS = frozenset({"/api", "/xapi", "/openapi.json", "/health", "/ready", "/metrics"})


def is_machine_path(path: str) -> bool:
    """Whether ``path`` belongs to the JSON API or the LRS rather than to the pages."""
    return path in _MACHINE_PATHS or path.startswith(_MACHINE_PREFIXES)


def wants_page(request: Request) -> bool:
    """Whether an error is answered with a page: a person's address, and a client that does
    not ask for JSON alone (a browser sends ``text/html``; ``curl`` sends ``*/*``)."""
    if is_machine_path(request.url.path):
        return False
    accept = request.headers.get("accept", "").lower()
    return "text/html" in accept or "json" not in accept


def error_page(
    request: Request,
    status: int,
    heading: str,
    *paragraphs: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The site's error page (msgids translated into the address's language)."""
    lang = lang_of(request)
    _container, pages, context = page_base(request)
    return pages.render(
        request,
        "error.html",
        lang,
        {
            **context,
            "status": status,
            "heading": translate(request, lang, heading),
            "paragraphs": [translate(request, lang, text) for text in paragraphs],
        },
        status_code=status,
        headers=headers,
    )


def _message(request: Request, status: int, heading: str, paragraph: str) -> Response:
    return error_page(request, status, heading, paragraph)


# Starlette's and FastAPI's own refusals, as a person reads them. A status not listed reads as
# the nearest family (4xx: the request; 5xx: the server).
_STATUS_WORDS: dict[int, tuple[str, str]] = {
    400: (
        N_("This request could not be understood"),
        N_("Check the address, or go back and try again."),
    ),
    401: (
        N_("Please sign in"),
        N_("Your session has ended. Sign in again, then repeat what you were doing."),
    ),
    403: (N_("Access denied"), N_("This page is not open to your account.")),
    404: (N_("Not found"), N_("There is nothing at this address.")),
    405: (
        N_("This address does not take this action"),
        N_("Go back to the page you came from and try again."),
    ),
    413: (N_("What you sent is too large"), N_("Nothing was recorded. Send less at a time.")),
    422: (
        N_("This request could not be understood"),
        N_("Check the address, or go back and try again."),
    ),
}
_CLIENT_ERROR = (
    N_("This request could not be answered"),
    N_("Check the address, or go back and try again."),
)
_SERVER_ERROR = (
    N_("Something went wrong on our side"),
    N_("Nothing you did caused it. Try again in a few minutes; if it goes on, contact us."),
)


def _words_for(status: int) -> tuple[str, str]:
    if status in _STATUS_WORDS:
        return _STATUS_WORDS[status]
    return _SERVER_ERROR if status >= 500 else _CLIENT_ERROR


async def http_error_answer(request: Request, error: Exception) -> Response:
    """Starlette's refusals (unknown address, method not allowed, ...): a page for a person,
    FastAPI's JSON for the machines' addresses."""
    assert isinstance(error, HTTPException)
    if not wants_page(request):
        return await http_exception_handler(request, error)
    heading, paragraph = _words_for(error.status_code)
    return await run_in_threadpool(
        error_page, request, error.status_code, heading, paragraph, headers=error.headers
    )


async def invalid_request_answer(request: Request, error: Exception) -> Response:
    """A request whose parameters FastAPI cannot read: 422, a page or FastAPI's JSON."""
    assert isinstance(error, RequestValidationError)
    if not wants_page(request):
        return await request_validation_exception_handler(request, error)
    heading, paragraph = _words_for(422)
    return await run_in_threadpool(error_page, request, 422, heading, paragraph)


async def unexpected_answer(request: Request, _error: Exception) -> Response:
    """500: a bug. The server logs the exception (it is raised again after this answer); the
    person reads a page that blames nobody but us. The page does not look the session up:
    the database may be what failed."""
    if not wants_page(request):
        return PlainTextResponse("Internal Server Error", status_code=500)
    if not hasattr(request.state, "session"):
        request.state.session = None
    heading, paragraph = _SERVER_ERROR
    try:
        return await run_in_threadpool(error_page, request, 500, heading, paragraph)
    except Exception:  # the page itself failed: the bare answer, never a second traceback
        log.exception("the error page could not be rendered")
        return PlainTextResponse("Internal Server Error", status_code=500)


def _sign_in_required(request: Request, _error: Exception) -> Response:
    lang = lang_of(request)
    if request.method == "GET":
        # Half signed in (password given, second factor owed): finish that first.
        half = current_session(request)
        target = "/account/second-factor" if half is not None else "/account/sign-in"
        return RedirectResponse(f"{PREFIXES[lang]}{target}", status_code=303)
    return _message(
        request,
        401,
        N_("Please sign in"),
        N_("Your session has ended. Sign in again, then repeat what you were doing."),
    )


async def busy_answer(request: Request, _error: Exception) -> Response:
    """503: another writer held the database past this request's budget; nothing was written.

    Async, unlike the others: when many writers' budgets run out together, their JSON answers
    are made on the event loop rather than queueing for threads that the readers need.
    """
    headers = {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}
    path = request.url.path
    if path.startswith(("/api/", "/xapi/")):  # the machines' JSON errors, as their routes give
        if path.startswith("/xapi/"):
            headers["X-Experience-API-Version"] = XAPI_VERSION
        problem = "the database is busy with another writer: nothing was stored, try again"
        return JSONResponse({"error": problem}, status_code=503, headers=headers)
    # The page does not look the session up: that could be one more wait on the same lock.
    if not hasattr(request.state, "session"):
        request.state.session = None
    return await run_in_threadpool(
        error_page,
        request,
        503,
        N_("The service is busy"),
        N_("Nothing was recorded. Another task is using the database: try again in a few seconds."),
        headers=headers,
    )


def timeout_answer(request: Request, _error: Exception) -> Response:
    """503: a statement ran past ``GARDIEN_DATABASE_STATEMENT_TIMEOUT_SECONDS``; its
    transaction rolled back, so nothing was written and the same request may be sent again."""
    headers = {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}
    path = request.url.path
    if path.startswith(("/api/", "/xapi/")):
        if path.startswith("/xapi/"):
            headers["X-Experience-API-Version"] = XAPI_VERSION
        problem = "the database took too long to answer: nothing was stored, try again later"
        return JSONResponse({"error": problem}, status_code=503, headers=headers)
    # As for the busy answer: no session lookup, which could be one more slow statement.
    if not hasattr(request.state, "session"):
        request.state.session = None
    return error_page(
        request,
        503,
        N_("The service took too long"),
        N_(
            "Nothing was recorded. The database did not answer in time: try again in a"
            " moment. If it happens again, tell the site's administrator."
        ),
        headers=headers,
    )


def blob_store_answer(request: Request, error: Exception) -> Response:
    """503: the blob store (attachment content) failed; the LRS's JSON error, a page elsewhere.

    Sending the same request again is safe: statements already stored are not stored twice,
    and their attachments are added then.
    """
    headers = {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}
    if request.url.path.startswith("/xapi/"):
        headers["X-Experience-API-Version"] = XAPI_VERSION
        problem = "attachment storage is unavailable: send the request again later"
        return JSONResponse({"error": problem}, status_code=503, headers=headers)
    return error_page(
        request,
        503,
        N_("Stored files are unavailable"),
        N_("Nothing was recorded. Try again in a few minutes."),
        headers=headers,
    )


# Errors answered with a page of their own: status, heading, explanation.
_PAGES: tuple[tuple[type[Exception], int, str, str], ...] = (
    (PermissionDeniedError, 403, N_("Access denied"), N_("This page is not open to your account.")),
    (
        CsrfError,
        403,
        N_("This form has expired"),
        N_("Nothing was changed. Go back, reload the page and send the form again."),
    ),
    (NotFoundError, 404, N_("Not found"), N_("There is nothing at this address.")),
    (
        RequestStateError,
        409,
        N_("This cannot be done now"),
        N_("The request is not in a state that allows it."),
    ),
)


def _page_for(
    status: int, heading: str, paragraph: str
) -> Callable[[Request, Exception], Response]:
    def answer(request: Request, _error: Exception) -> Response:
        return _message(request, status, heading, paragraph)

    return answer


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, http_error_answer)
    app.add_exception_handler(RequestValidationError, invalid_request_answer)
    # Exception: Starlette's outermost layer (and the security headers' middleware, which
    # answers first so that the page carries its headers) calls it for any uncaught error.
    app.add_exception_handler(Exception, unexpected_answer)
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(BusyError, busy_answer)
    app.add_exception_handler(StatementTimeoutError, timeout_answer)
    app.add_exception_handler(BlobStoreError, blob_store_answer)
    for error, status, heading, paragraph in _PAGES:
        app.add_exception_handler(error, _page_for(status, heading, paragraph))

"""How the pages answer errors: sign in first, not yours, bad form, busy.

The handlers are plain functions: Starlette runs them in its thread pool, like the routes,
since a page reads the session (the database) to show who is signed in. The busy answer is
the exception (see :func:`busy_answer`).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from gardien.errors import (
    BlobStoreError,
    BusyError,
    CsrfError,
    NotFoundError,
    PermissionDeniedError,
    RequestStateError,
    SignInRequired,
)
from gardien.services.xapi.ingest import VERSION as XAPI_VERSION
from gardien.web.auth import current_session
from gardien.web.forms import N_, PREFIXES, message

# What a busy answer tells the client to wait: long enough for most sweep batches and import
# transactions to end, short enough for a person about to press the button again.
BUSY_RETRY_AFTER_SECONDS = 5


def lang_of(request: Request) -> str:
    path = request.url.path
    return "en" if path == "/en" or path.startswith("/en/") else "fr"


def _message(request: Request, status: int, heading: str, paragraph: str) -> Response:
    return message(request, lang_of(request), heading, paragraph, status=status)


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
        message,
        request,
        lang_of(request),
        N_("The service is busy"),
        N_("Nothing was recorded. Another task is using the database: try again in a few seconds."),
        status=503,
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
    return _message(
        request,
        503,
        N_("Stored files are unavailable"),
        N_("Nothing was recorded. Try again in a few minutes."),
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
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(BusyError, busy_answer)
    app.add_exception_handler(BlobStoreError, blob_store_answer)
    for error, status, heading, paragraph in _PAGES:
        app.add_exception_handler(error, _page_for(status, heading, paragraph))

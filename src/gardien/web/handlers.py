"""How the pages answer the errors of access control: sign in first, not yours, bad form."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from gardien.errors import (
    CsrfError,
    NotFoundError,
    PermissionDeniedError,
    RequestStateError,
    SignInRequired,
)
from gardien.web.auth import current_session
from gardien.web.forms import N_, PREFIXES, message


def lang_of(request: Request) -> str:
    path = request.url.path
    return "en" if path == "/en" or path.startswith("/en/") else "fr"


def _message(request: Request, status: int, heading: str, paragraph: str) -> Response:
    return message(request, lang_of(request), heading, paragraph, status=status)


async def _sign_in_required(request: Request, _error: Exception) -> Response:
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


def _page_for(status: int, heading: str, paragraph: str) -> Callable[..., Awaitable[Response]]:
    async def answer(request: Request, _error: Exception) -> Response:
        return _message(request, status, heading, paragraph)

    return answer


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, _sign_in_required)
    for error, status, heading, paragraph in _PAGES:
        app.add_exception_handler(error, _page_for(status, heading, paragraph))

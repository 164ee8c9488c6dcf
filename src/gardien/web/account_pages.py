"""Account pages: sign in, sign out, accept an invitation, reset a forgotten password. French
at the root, English under ``/en``. (The second factor of DPO and admin accounts has its own
pages: web/second_factor_pages.py.)

Answers never depend on whether an address has an account: a wrong address and a wrong
password get the same page after the same work (one Argon2id verification), and a reset
request always gets "if an account exists, a link is on its way", its e-mail queued after
the response is sent (a background task) so the timing is the same too.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gardien.errors import (
    AuthenticationError,
    InvalidInputError,
    InvalidLinkError,
    PasswordRejectedError,
    SignInRequired,
    TooManyRequestsError,
)
from gardien.services.accounts import invitations, reset, signin
from gardien.store.uow import UnitOfWork
from gardien.web.auth import (
    SESSION_COOKIE,
    check_csrf,
    clear_session_cookie,
    current_session,
    set_cookie,
)
from gardien.web.deps import FormDep, get_container, get_limits
from gardien.web.devices import remember_device, sign_in_client
from gardien.web.forms import (
    N_,
    PREFIXES,
    Handler,
    field_of,
    limit,
    message,
    page_base,
    too_many,
    translate,
)

router = APIRouter()

# Where each role lands after signing in.
HOMES = {
    "learner": "/my-data",
    "sponsor_contact": "/sponsor",
    "dpo": "/console",
    "admin": "/admin/accounts",
}


def password_problem(request: Request, lang: str, error: PasswordRejectedError) -> str:
    """The password policy's refusal, in the page's language."""
    texts = {
        "too_short": N_("Choose a password of at least 12 characters."),
        "too_long": N_("Choose a password of at most 128 characters."),
        "contains_email": N_("Choose a password that does not contain your e-mail address."),
        "breached": N_(
            "This password appears in lists of passwords exposed by data breaches: choose"
            " another one."
        ),
    }
    return translate(request, lang, texts.get(error.reason, N_("Choose another password.")))


def _sign_in_form(
    request: Request, lang: str, *, email: str = "", error: str = "", status: int = 200
) -> HTMLResponse:
    _container, pages, context = page_base(request)
    return pages.render(
        request,
        "sign_in.html",
        lang,
        {
            **context,
            "action": f"{PREFIXES[lang]}/account/sign-in",
            "reset_url": f"{PREFIXES[lang]}/account/reset",
            "email": email,
            "error": error,
        },
        status_code=status,
    )


def _end_previous(request: Request) -> None:
    """A new sign-in on this browser ends the session its cookie named, on the server too."""
    previous = current_session(request)
    if previous is not None:
        container = get_container(request)
        signin.sign_out(UnitOfWork(container.engine, write=True), previous)


def _signed_in_redirect(request: Request, lang: str, token: str, target: str) -> Response:
    response = RedirectResponse(f"{PREFIXES[lang]}{target}", status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token)
    return response


def _sign_in_get(lang: str) -> Handler:
    def page(request: Request) -> Response:
        session = current_session(request)
        if session is not None and session.second_factor_done:
            return RedirectResponse(
                f"{PREFIXES[lang]}{HOMES[session.account.role]}", status_code=303
            )
        return _sign_in_form(request, lang)

    return page


def _sign_in_post(lang: str) -> Handler:
    def submit(request: Request, form: FormDep) -> Response:
        check_csrf(request, form)
        email = field_of(form, "email").strip().lower()
        password = field_of(form, "password")
        limits = get_limits(request)
        try:
            client = sign_in_client(request, email)
            attempt = limits.sign_in(email, client)
            container = get_container(request)
            # Argon2id takes tens of milliseconds of CPU: this handler runs in the thread pool.
            result = signin.sign_in(
                UnitOfWork(container.engine, write=True),
                container.accounts(),
                email=email,
                password=password,
            )
        except TooManyRequestsError as error:
            return too_many(request, lang, error)
        except AuthenticationError:
            return _sign_in_form(
                request,
                lang,
                email=email,
                error=translate(request, lang, N_("Wrong e-mail address or password.")),
                status=401,
            )
        limits.signed_in(attempt)
        _end_previous(request)
        target = "/account/second-factor" if result.needs_second_factor else HOMES[result.role]
        response = _signed_in_redirect(request, lang, result.token, target)
        if not result.needs_second_factor:
            remember_device(request, response, email)
        return response

    return submit


def _sign_out_post(lang: str) -> Handler:
    def submit(request: Request, form: FormDep) -> Response:
        check_csrf(request, form)
        session = current_session(request)
        if session is not None:
            container = get_container(request)
            signin.sign_out(UnitOfWork(container.engine, write=True), session)
        response = message(
            request,
            lang,
            N_("You are signed out"),
            N_("Your session is closed on this device."),
            signed_in=None,
        )
        clear_session_cookie(request, response)
        return response

    return submit


# -- invitation and reset: choose a password from a signed link ------------------------------


def _link_error(request: Request, lang: str) -> HTMLResponse:
    return message(
        request,
        lang,
        N_("This link is not valid"),
        N_(
            "It may have expired or been used already. Nothing was changed. You can"
            " ask for a new link from the sign-in page."
        ),
        status=400,
    )


def _password_form(
    request: Request, lang: str, *, kind: str, token: str, error: str = "", status: int = 200
) -> HTMLResponse:
    _container, pages, context = page_base(request)
    heading = N_("Open your account") if kind == "activate" else N_("Choose a new password")
    return pages.render(
        request,
        "set_password.html",
        lang,
        {
            **context,
            "heading": translate(request, lang, heading),
            "action": f"{PREFIXES[lang]}/account/{kind}/{token}",
            "error": error,
        },
        status_code=status,
    )


def _password_get(lang: str, kind: str) -> Handler:
    def page(request: Request, token: str) -> Response:
        container = get_container(request)
        uow = UnitOfWork(container.engine)
        try:
            if kind == "activate":
                invitations.invited_account(uow, container.accounts(), token)
            else:
                reset.check_reset_link(uow, container.accounts(), token)
        except InvalidLinkError:
            return _link_error(request, lang)
        return _password_form(request, lang, kind=kind, token=token)

    return page


def _password_post(lang: str, kind: str) -> Handler:
    def submit(request: Request, token: str, form: FormDep) -> Response:
        check_csrf(request, form)
        password = field_of(form, "password")
        if password != field_of(form, "confirm"):
            error = translate(request, lang, N_("The two passwords differ."))
            return _password_form(request, lang, kind=kind, token=token, error=error, status=400)
        container = get_container(request)
        uow = UnitOfWork(container.engine, write=True)
        try:
            if kind == "activate":
                session_token = invitations.activate(
                    uow,
                    container.accounts(),
                    token=token,
                    password=password,
                )
            else:
                reset.reset_password(
                    uow,
                    container.accounts(),
                    token=token,
                    password=password,
                )
        except InvalidLinkError:
            return _link_error(request, lang)
        except PasswordRejectedError as error:
            problem = password_problem(request, lang, error)
            return _password_form(request, lang, kind=kind, token=token, error=problem, status=400)
        except InvalidInputError:
            problem = translate(request, lang, N_("Choose a password you have not used here."))
            return _password_form(request, lang, kind=kind, token=token, error=problem, status=400)
        if kind == "activate":
            # Straight in (a DPO or admin still owes the second factor, which the page asks).
            _end_previous(request)
            return _signed_in_redirect(request, lang, session_token, "/account")
        response = message(
            request,
            lang,
            N_("Your password is changed"),
            N_("Every session of your account was closed. Sign in with it now."),
            signed_in=None,
        )
        clear_session_cookie(request, response)
        return response

    return submit


def _reset_request_form(
    request: Request, lang: str, *, email: str = "", error: str = "", status: int = 200
) -> HTMLResponse:
    _container, pages, context = page_base(request)
    return pages.render(
        request,
        "reset_request.html",
        lang,
        {**context, "action": f"{PREFIXES[lang]}/account/reset", "email": email, "error": error},
        status_code=status,
    )


def _reset_get(lang: str) -> Handler:
    def page(request: Request) -> Response:
        return _reset_request_form(request, lang)

    return page


def _reset_post(lang: str) -> Handler:
    def submit(request: Request, background: BackgroundTasks, form: FormDep) -> Response:
        check_csrf(request, form)
        email = field_of(form, "email").strip().lower()
        try:
            limit(request, "reset", email)
        except TooManyRequestsError as error:
            return too_many(request, lang, error)
        container = get_container(request)
        if email:
            # After the response: its content and its timing are the same for every address.
            background.add_task(_queue_reset, container.engine, container.accounts(), email, lang)
        return message(
            request,
            lang,
            N_("Check your inbox"),
            N_(
                "If an account exists at this address, an e-mail with a link to"
                " choose a new password is on its way. The link is valid for one"
                " hour."
            ),
        )

    return submit


def _queue_reset(engine: Any, services: Any, email: str, lang: str) -> None:
    reset.request_reset(UnitOfWork(engine, write=True), services, email=email, lang=lang)


def _account_home(lang: str) -> Handler:
    def page(request: Request) -> Response:
        session = current_session(request)
        if session is None:
            raise SignInRequired("sign in first")
        if not session.second_factor_done:
            return RedirectResponse(f"{PREFIXES[lang]}/account/second-factor", status_code=303)
        return RedirectResponse(f"{PREFIXES[lang]}{HOMES[session.account.role]}", status_code=303)

    return page


for _lang, _prefix in PREFIXES.items():
    _routes: list[tuple[str, Handler, str]] = [
        ("/account", _account_home(_lang), "GET"),
        ("/account/sign-in", _sign_in_get(_lang), "GET"),
        ("/account/sign-in", _sign_in_post(_lang), "POST"),
        ("/account/sign-out", _sign_out_post(_lang), "POST"),
        ("/account/reset", _reset_get(_lang), "GET"),
        ("/account/reset", _reset_post(_lang), "POST"),
        ("/account/activate/{token}", _password_get(_lang, "activate"), "GET"),
        ("/account/activate/{token}", _password_post(_lang, "activate"), "POST"),
        ("/account/reset/{token}", _password_get(_lang, "reset"), "GET"),
        ("/account/reset/{token}", _password_post(_lang, "reset"), "POST"),
    ]
    for _path, _handler, _method in _routes:
        router.add_api_route(
            f"{_prefix}{_path}", _handler, methods=[_method], include_in_schema=False
        )

"""The second factor of DPO and admin accounts: setting it up (with a QR code), giving it at
sign-in (a code from the app or a recovery code), renewing the recovery codes, and the
administrator's reset. French at the root, English under ``/en``.

Set-up shows one secret until a code confirms it (services/accounts/second_factor.py): a wrong
code keeps the page, the same key and QR code, with the error tied to the field. The recovery
codes are shown once, in the answer to the form that made them, never on a page that can be
opened again.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gardien.domain.totp import grouped
from gardien.errors import AuthenticationError, NotFoundError, SignInRequired, TooManyRequestsError
from gardien.services.accounts import second_factor, signin
from gardien.services.accounts.sessions import CurrentSession
from gardien.store.uow import UnitOfWork
from gardien.web.account_pages import HOMES
from gardien.web.auth import SESSION_COOKIE, check_csrf, current_session, require, set_cookie
from gardien.web.deps import FormDep, get_container, get_limits
from gardien.web.devices import remember_device
from gardien.web.forms import (
    N_,
    PREFIXES,
    FieldErrors,
    Handler,
    field_of,
    message,
    page_base,
    too_many,
    translate,
)
from gardien.web.qr import qr_svg

router = APIRouter()
STAFF = ("dpo", "admin")


def _half_open(request: Request) -> CurrentSession:
    session = current_session(request)
    if session is None:
        raise SignInRequired("sign in first")
    return session


def _home(lang: str, session: CurrentSession) -> str:
    return f"{PREFIXES[lang]}{HOMES[session.account.role]}"


def _second_factor_page(
    request: Request, lang: str, *, errors: FieldErrors | None = None, status: int = 200
) -> Response:
    session = _half_open(request)
    if session.second_factor_done:
        return RedirectResponse(_home(lang, session), status_code=303)
    container, pages, context = page_base(request)
    extra: dict[str, Any] = {}
    template = "second_factor.html"
    if session.account.totp_secret is None:
        template = "second_factor_setup.html"
        enrolment = second_factor.enrolment(
            UnitOfWork(container.engine, write=True), container.accounts(), session
        )
        label = translate(request, lang, N_("QR code of the key, for your authenticator app"))
        extra = {
            "secret": grouped(enrolment.secret),
            "uri": enrolment.uri,
            "qr": qr_svg(enrolment.uri, label=label),
        }
    return pages.render(
        request,
        template,
        lang,
        {
            **context,
            **extra,
            "action": f"{PREFIXES[lang]}/account/second-factor",
            "recovery_url": f"{PREFIXES[lang]}/account/second-factor/recovery",
            "errors": errors or {},
        },
        status_code=status,
    )


def _second_factor_get(lang: str) -> Handler:
    def page(request: Request) -> Response:
        return _second_factor_page(request, lang)

    return page


def _signed_in(request: Request, response: Response, session: CurrentSession, token: str) -> None:
    set_cookie(request, response, SESSION_COOKIE, token)
    remember_device(request, response, session.account.email)


def _codes_page(
    request: Request, lang: str, codes: list[str], *, heading: str, done: str, home: str
) -> HTMLResponse:
    _container, pages, context = page_base(request)
    return pages.render(
        request,
        "recovery_codes_shown.html",
        lang,
        {
            **context,
            "heading": translate(request, lang, heading),
            "done": translate(request, lang, done),
            "codes": codes,
            "home": home,
        },
    )


def _second_factor_post(lang: str) -> Handler:
    def submit(request: Request, form: FormDep) -> Response:
        check_csrf(request, form)
        session = _half_open(request)
        if session.second_factor_done:
            return RedirectResponse(_home(lang, session), status_code=303)
        container = get_container(request)
        uow = UnitOfWork(container.engine, write=True)
        code = field_of(form, "code")
        try:
            get_limits(request).account_action("second-factor", session.account.id)
            if session.account.totp_secret is None:
                confirmed = second_factor.confirm_enrolment(
                    uow, container.accounts(), session, code=code
                )
            else:
                token = signin.second_factor(uow, container.accounts(), session, code=code)
        except TooManyRequestsError as error:
            return too_many(request, lang, error)
        except AuthenticationError:
            wrong = N_("Wrong code. Type the 6 digits your app shows now.")
            if not code.strip():
                wrong = N_("Type the 6 digits your app shows.")
            errors = {"code": translate(request, lang, wrong)}
            return _second_factor_page(request, lang, errors=errors, status=401)
        if session.account.totp_secret is None:
            response: Response = _codes_page(
                request,
                lang,
                confirmed.recovery_codes,
                heading=N_("Your second factor is set up"),
                done=N_("From now on, you sign in with your password and a code from your app."),
                home=_home(lang, session),
            )
            _signed_in(request, response, session, confirmed.token)
            return response
        response = RedirectResponse(_home(lang, session), status_code=303)
        _signed_in(request, response, session, token)
        return response

    return submit


def _recovery_form(
    request: Request, lang: str, *, errors: FieldErrors | None = None, status: int = 200
) -> Response:
    session = _half_open(request)
    if session.second_factor_done:
        return RedirectResponse(_home(lang, session), status_code=303)
    if session.account.totp_secret is None:
        return RedirectResponse(f"{PREFIXES[lang]}/account/second-factor", status_code=303)
    _container, pages, context = page_base(request)
    return pages.render(
        request,
        "recovery_sign_in.html",
        lang,
        {
            **context,
            "action": f"{PREFIXES[lang]}/account/second-factor/recovery",
            "code_url": f"{PREFIXES[lang]}/account/second-factor",
            "errors": errors or {},
        },
        status_code=status,
    )


def _recovery_get(lang: str) -> Handler:
    def page(request: Request) -> Response:
        return _recovery_form(request, lang)

    return page


def _recovery_post(lang: str) -> Handler:
    def submit(request: Request, form: FormDep) -> Response:
        check_csrf(request, form)
        session = _half_open(request)
        if session.second_factor_done:
            return RedirectResponse(_home(lang, session), status_code=303)
        container = get_container(request)
        try:
            get_limits(request).account_action("second-factor", session.account.id)
            token = second_factor.sign_in_with_recovery_code(
                UnitOfWork(container.engine, write=True),
                container.accounts(),
                session,
                code=field_of(form, "recovery"),
            )
        except TooManyRequestsError as error:
            return too_many(request, lang, error)
        except AuthenticationError:
            wrong = N_(
                "This recovery code is wrong or was used already. Type another of your codes."
            )
            errors = {"recovery": translate(request, lang, wrong)}
            return _recovery_form(request, lang, errors=errors, status=401)
        response = RedirectResponse(_home(lang, session), status_code=303)
        _signed_in(request, response, session, token)
        return response

    return submit


def _codes_get(lang: str) -> Handler:
    def page(request: Request) -> Response:
        session = require(request, *STAFF)
        container, pages, context = page_base(request)
        left = second_factor.recovery_codes_left(UnitOfWork(container.engine), session.account.id)
        return pages.render(
            request,
            "recovery_codes.html",
            lang,
            {**context, "left": left, "action": f"{PREFIXES[lang]}/account/recovery-codes"},
        )

    return page


def _codes_post(lang: str) -> Handler:
    def submit(request: Request, form: FormDep) -> Response:
        session = require(request, *STAFF)
        check_csrf(request, form)
        container = get_container(request)
        codes = second_factor.renew_recovery_codes(
            UnitOfWork(container.engine, write=True),
            container.accounts(),
            account_id=session.account.id,
            actor=f"account:{session.account.id}",
        )
        return _codes_page(
            request,
            lang,
            codes,
            heading=N_("Your new recovery codes"),
            done=N_("Your previous recovery codes no longer work."),
            home=_home(lang, session),
        )

    return submit


def _reset_post(lang: str) -> Handler:
    def submit(request: Request, account_id: int, form: FormDep) -> Response:
        session = require(request, "admin")
        check_csrf(request, form)
        container = get_container(request)
        try:
            second_factor.reset_second_factor(
                UnitOfWork(container.engine, write=True),
                container.accounts(),
                account_id=account_id,
                actor=f"admin:{session.account.id}",
                lang=lang,
            )
        except NotFoundError:
            return message(
                request,
                lang,
                N_("Nothing to reset"),
                N_(
                    "Only the second factor of a data protection officer or an administrator"
                    " can be reset."
                ),
                status=404,
            )
        return message(
            request,
            lang,
            N_("The second factor is reset"),
            N_(
                "The person was signed out everywhere and received an e-mail: they will set up"
                " a new second factor at their next sign-in, with their password."
            ),
        )

    return submit


for _lang, _prefix in PREFIXES.items():
    _routes: list[tuple[str, Handler, str]] = [
        ("/account/second-factor", _second_factor_get(_lang), "GET"),
        ("/account/second-factor", _second_factor_post(_lang), "POST"),
        ("/account/second-factor/recovery", _recovery_get(_lang), "GET"),
        ("/account/second-factor/recovery", _recovery_post(_lang), "POST"),
        ("/account/recovery-codes", _codes_get(_lang), "GET"),
        ("/account/recovery-codes", _codes_post(_lang), "POST"),
        ("/admin/accounts/{account_id}/reset-second-factor", _reset_post(_lang), "POST"),
    ]
    for _path, _handler, _method in _routes:
        router.add_api_route(
            f"{_prefix}{_path}", _handler, methods=[_method], include_in_schema=False
        )

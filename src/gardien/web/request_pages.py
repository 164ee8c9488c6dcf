"""Requests from people without an account: newsletter subscribers, contact-form senders,
sponsors' contacts, anyone. They prove control of their address through a signed link, then
file the request and follow it from a second link (docs/requests.md).

- ``/requests``: the form (address and kind). The answer is the same for every address, and
  a link is sent to any address: the form reveals nothing about who is known.
- ``/requests/verify/{token}``: the person types their address again (the link carries only a
  digest of it) and may describe the request; then it is recorded, due in one month.
- ``/requests/status/{token}``: the request's status, deadline, extension reason, outcome.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gardien.domain.vocabulary import REQUEST_KINDS
from gardien.errors import InvalidInputError, InvalidLinkError, TooManyRequestsError
from gardien.services import requests as dsr
from gardien.services.website.newsletter import normalise_email
from gardien.store.uow import UnitOfWork
from gardien.web.auth import check_csrf
from gardien.web.deps import FormDep, get_container
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
from gardien.web.portal_pages import KINDS, STATUSES, day

router = APIRouter()


def _form(
    request: Request,
    lang: str,
    *,
    email: str = "",
    kind: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    _container, pages, context = page_base(request)
    return pages.render(
        request,
        "request_form.html",
        lang,
        {
            **context,
            "action": f"{PREFIXES[lang]}/requests",
            "kinds": [(key, translate(request, lang, KINDS[key])) for key in REQUEST_KINDS],
            "email": email,
            "kind": kind,
            "error": error,
        },
        status_code=status,
    )


def _message(
    request: Request, lang: str, heading: str, text: str, status: int = 200
) -> HTMLResponse:
    return message(request, lang, heading, text, status=status)


def _form_get(lang: str) -> Handler:
    def page(request: Request) -> Response:
        return _form(request, lang)

    return page


def _form_post(lang: str) -> Handler:
    def submit(request: Request, form: FormDep) -> Response:
        check_csrf(request, form)
        email, kind = field_of(form, "email"), field_of(form, "kind")
        if kind not in REQUEST_KINDS:
            error = translate(request, lang, N_("Choose what you ask for."))
            return _form(request, lang, email=email, error=error, status=400)
        try:
            address = normalise_email(email)
            limit(request, "request", address)
        except InvalidInputError:
            error = translate(request, lang, N_("This e-mail address is not valid."))
            return _form(request, lang, email=email, kind=kind, error=error, status=400)
        except TooManyRequestsError as error:
            return too_many(request, lang, error)
        container = get_container(request)
        dsr.send_verification(
            UnitOfWork(container.engine, write=True),
            container.accounts(),
            email=address,
            kind=kind,
            lang=lang,
        )
        return _message(
            request,
            lang,
            N_("Check your inbox"),
            N_(
                "We sent a link to this address. Follow it within 24 hours to file your"
                " request: until then, nothing is recorded."
            ),
        )

    return submit


def _verify_page(
    request: Request, lang: str, token: str, *, error: str = "", status: int = 200
) -> HTMLResponse:
    container, pages, context = page_base(request)
    try:
        kind, _digest = dsr.read_verification(container.accounts(), token)
    except InvalidLinkError:
        return _link_error(request, lang)
    return pages.render(
        request,
        "request_verify.html",
        lang,
        {
            **context,
            "action": f"{PREFIXES[lang]}/requests/verify/{token}",
            "kind_label": translate(request, lang, KINDS[kind]),
            "error": error,
        },
        status_code=status,
    )


def _link_error(request: Request, lang: str) -> HTMLResponse:
    return _message(
        request,
        lang,
        N_("This link is not valid"),
        N_("It may have expired, or been sent to another address. Nothing was recorded."),
        status=400,
    )


def _verify_get(lang: str) -> Handler:
    def page(request: Request, token: str) -> Response:
        return _verify_page(request, lang, token)

    return page


def _verify_post(lang: str) -> Handler:
    def submit(request: Request, token: str, form: FormDep) -> Response:
        check_csrf(request, form)
        container = get_container(request)
        try:
            limit(request, "request-verify", None)
            view, follow = dsr.file_verified(
                UnitOfWork(container.engine, write=True),
                container.accounts(),
                token=token,
                email=field_of(form, "email"),
                details=field_of(form, "details"),
                lang=lang,
            )
        except TooManyRequestsError as error:
            return too_many(request, lang, error)
        except InvalidLinkError:
            wrong = translate(request, lang, N_("Type the address this link was sent to."))
            return _verify_page(request, lang, token, error=wrong, status=400)
        except InvalidInputError:
            long = translate(request, lang, N_("At most 5,000 characters."))
            return _verify_page(request, lang, token, error=long, status=400)
        return _status_page(request, lang, view, follow)

    return submit


def _status_page(request: Request, lang: str, view: dsr.RequestView, follow: str) -> HTMLResponse:
    _container, pages, context = page_base(request)
    return pages.render(
        request,
        "request_status.html",
        lang,
        {
            **context,
            "item": view,
            "kind_label": translate(request, lang, KINDS[view.kind]),
            "status_label": translate(request, lang, STATUSES[view.status]),
            "follow_url": f"{PREFIXES[lang]}/requests/status/{follow}",
            "day": lambda value: day(value, lang),
        },
    )


def _status_get(lang: str) -> Handler:
    def page(request: Request, token: str) -> Response:
        container = get_container(request)
        try:
            view = dsr.followed_request(UnitOfWork(container.engine), container.accounts(), token)
        except InvalidLinkError:
            return _link_error(request, lang)
        return _status_page(request, lang, view, token)

    return page


for _lang, _prefix in PREFIXES.items():
    for _path, _handler, _method in (
        ("/requests", _form_get(_lang), "GET"),
        ("/requests", _form_post(_lang), "POST"),
        ("/requests/verify/{token}", _verify_get(_lang), "GET"),
        ("/requests/verify/{token}", _verify_post(_lang), "POST"),
        ("/requests/status/{token}", _status_get(_lang), "GET"),
    ):
        router.add_api_route(
            f"{_prefix}{_path}", _handler, methods=[_method], include_in_schema=False
        )

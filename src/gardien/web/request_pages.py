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

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gardien.domain.vocabulary import REQUEST_KINDS
from gardien.errors import InvalidInputError, InvalidLinkError, TooManyRequestsError
from gardien.i18n.dates import format_month_day, local_day
from gardien.services import requests as dsr
from gardien.services.erasure import KeptRecord
from gardien.services.erasure_words import KeptWords, kept_in_words
from gardien.services.website.newsletter import normalise_email
from gardien.store.uow import UnitOfWork
from gardien.web.auth import check_csrf
from gardien.web.deps import FormDep, get_container
from gardien.web.forms import (
    N_,
    PREFIXES,
    FieldErrors,
    Handler,
    email_problem,
    field_errors,
    field_of,
    limit,
    message,
    page_base,
    too_many,
    translate,
)
from gardien.web.portal_pages import KINDS, STATUSES, day

router = APIRouter()

# The service's limit on what a person may add to their request.
MAX_DETAILS = 5000
TOO_LONG = N_("Please shorten this text to at most 5,000 characters.")


# What each kind of request asks for and what it does, in plain words (GDPR art. 15 to 21).
EXPLAINED = {
    "access": N_(
        "We tell you what data we hold about you, where it comes from, why we use it, who"
        " receives it and how long we keep it, with a copy of it."
    ),
    "portability": N_(
        "We send you the data you gave us, and the data your training produced, in files you"
        " can open or take to another organisation."
    ),
    "rectification": N_(
        "We correct data that is wrong or incomplete. After confirming your address, you say"
        " what to correct."
    ),
    "erasure": N_(
        "We delete your data. What the law obliges us to keep (for example invoices) stays until"
        " its date: our answer lists each such record, why we keep it and until when."
    ),
    "objection": N_(
        "We stop sending you commercial e-mails and offers. It does not stop the e-mails your"
        " training needs."
    ),
}


def _form(
    request: Request,
    lang: str,
    *,
    email: str = "",
    kind: str = "",
    errors: FieldErrors | None = None,
) -> HTMLResponse:
    _container, pages, context = page_base(request)
    return pages.render(
        request,
        "request_form.html",
        lang,
        {
            **context,
            "action": f"{PREFIXES[lang]}/requests",
            "kinds": [
                (
                    key,
                    translate(request, lang, KINDS[key]),
                    translate(request, lang, EXPLAINED[key]),
                )
                for key in REQUEST_KINDS
            ],
            "email": email,
            "kind": kind,
            "errors": errors or {},
        },
        status_code=400 if errors else 200,
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
        problems: dict[str, str] = {}
        if (problem := email_problem(email)) is not None:
            problems["email"] = problem
        if kind not in REQUEST_KINDS:
            problems["kind"] = N_("Choose what you ask for.")
        if problems:
            errors = field_errors(request, lang, problems)
            return _form(request, lang, email=email, kind=kind, errors=errors)
        try:
            address = normalise_email(email)
            limit(request, "request", address)
        except InvalidInputError:
            errors = field_errors(request, lang, {"email": N_("This e-mail address is not valid.")})
            return _form(request, lang, email=email, kind=kind, errors=errors)
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
    request: Request,
    lang: str,
    token: str,
    *,
    values: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
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
            "kind_explained": translate(request, lang, EXPLAINED[kind]),
            "email": (values or {}).get("email", ""),
            "details": (values or {}).get("details", ""),
            "errors": errors or {},
        },
        status_code=400 if errors else 200,
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
        values = {name: field_of(form, name) for name in ("email", "details")}
        problems: dict[str, str] = {}
        try:
            limit(request, "request-verify", None)
            # Both fields are checked on every submission: the service refuses a wrong address
            # before it reads the text, and the person should learn of both at once.
            if len(values["details"].strip()) > MAX_DETAILS:
                problems["details"] = TOO_LONG
            view, follow = dsr.file_verified(
                UnitOfWork(container.engine, write=True),
                container.accounts(),
                token=token,
                email=values["email"],
                details=values["details"],
                lang=lang,
            )
        except TooManyRequestsError as error:
            return too_many(request, lang, error)
        except InvalidLinkError:
            problems = {"email": N_("Type the address this link was sent to."), **problems}
        except InvalidInputError:
            problems["details"] = TOO_LONG
        if problems:
            errors = field_errors(request, lang, problems)
            return _verify_page(request, lang, token, values=values, errors=errors)
        return _status_page(request, lang, view, follow)

    return submit


# Where the request stands, in a sentence; and the badge it wears.
STATES = {
    "open": (
        N_("We received your request on %(received)s. We will answer by %(due)s at the latest."),
        "status",
    ),
    "extended": (
        N_(
            "We received your request on %(received)s. It needs more time: we will answer by"
            " %(due)s at the latest, for the reason given below."
        ),
        "status warn",
    ),
    "completed": (N_("Your request is done: we answered it on %(closed)s."), "status ok"),
    "refused": (
        N_("We answered on %(closed)s that we cannot grant your request, for the reason below."),
        "status warn",
    ),
}


def in_words(value: date | datetime | None, lang: str) -> str:
    """A day as written in a sentence: « 1er juillet 2026 », "1 July 2026"."""
    if value is None:
        return ""
    on = local_day(value) if isinstance(value, datetime) else value
    return f"{format_month_day(on.month, on.day, lang)} {on.year}"


def on_day(value: str | date | None, lang: str) -> str:
    """A day in a table: 01/07/2026 in French; in English, in words rather than ISO 8601."""
    if lang == "fr" or value is None:
        return day(value, lang)
    return in_words(date.fromisoformat(value[:10]) if isinstance(value, str) else value, lang)


def _kept(outcome: dict[str, Any] | None, lang: str) -> list[KeptWords]:
    """What an erasure kept, in the words of its result page and of its e-mail."""
    records = (outcome or {}).get("kept") or []
    return kept_in_words([KeptRecord.from_json(r) for r in records if isinstance(r, dict)], lang)


def _status_page(request: Request, lang: str, view: dsr.RequestView, follow: str) -> HTMLResponse:
    _container, pages, context = page_base(request)
    sentence, badge = STATES[view.status]
    return pages.render(
        request,
        "request_status.html",
        lang,
        {
            **context,
            "item": view,
            "kind_label": translate(request, lang, KINDS[view.kind]),
            "kind_explained": translate(request, lang, EXPLAINED[view.kind]),
            "status_label": translate(request, lang, STATUSES[view.status]),
            "status_class": badge,
            "state": translate(
                request,
                lang,
                sentence,
                received=in_words(view.received_at, lang),
                due=in_words(view.deadline.effective_due, lang),
                closed=in_words(view.closed_at or view.received_at, lang),
            ),
            "kept": _kept(view.outcome, lang),
            "follow_url": f"{PREFIXES[lang]}/requests/status/{follow}",
            "day": lambda value: on_day(value, lang),
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

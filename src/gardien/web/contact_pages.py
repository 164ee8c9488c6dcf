"""The contact form's pages (fr at ``/contact``, en at ``/en/contact``). See docs/website.md."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gardien.errors import InvalidInputError, TooManyRequestsError
from gardien.services.website.contact import MAX_MESSAGE, MAX_NAME, receive_message
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
    page_base,
    too_many,
    translate,
)

router = APIRouter()


def _contact_form(
    request: Request,
    lang: str,
    *,
    values: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
) -> HTMLResponse:
    container, pages, context = page_base(request)
    months = next(
        (r.months for r in container.policy.retention.values() if r.record == "contact_message"),
        0,
    )
    return pages.render(
        request,
        "contact.html",
        lang,
        {
            **context,
            "action": f"{PREFIXES[lang]}/contact",
            "months": months,
            "errors": errors or {},
            "name": (values or {}).get("name", ""),
            "email": (values or {}).get("email", ""),
            "message": (values or {}).get("message", ""),
        },
        status_code=400 if errors else 200,
    )


def _contact_sent(request: Request, lang: str) -> HTMLResponse:
    _container, pages, context = page_base(request)
    return pages.render(
        request,
        "message.html",
        lang,
        {
            **context,
            "heading": translate(request, lang, N_("Message sent")),
            "paragraphs": [
                translate(request, lang, N_("Thank you: we will answer you by e-mail."))
            ],
        },
    )


_CONTACT_ERRORS = {
    "name": N_("Please give your name (at most 200 characters)."),
    "email": N_("This e-mail address is not valid."),
    "message": N_("Please write a message (at most 5,000 characters)."),
}


def _problems(values: dict[str, str]) -> dict[str, str]:
    """Every field's problem at once (field → msgid), in the form's order; the service checks
    the same again before it stores anything."""
    problems: dict[str, str] = {}
    name = " ".join(values["name"].split())
    if not name or len(name) > MAX_NAME:
        problems["name"] = _CONTACT_ERRORS["name"]
    email = email_problem(values["email"])
    if email is not None:
        problems["email"] = email
    message = values["message"].strip()
    if not message or len(message) > MAX_MESSAGE:
        problems["message"] = _CONTACT_ERRORS["message"]
    return problems


def _contact_get(lang: str) -> Handler:
    def page(request: Request) -> Response:
        return _contact_form(request, lang)

    return page


def _contact_post(lang: str) -> Handler:
    def submit(request: Request, form: FormDep) -> Response:
        check_csrf(request, form)
        values = {name: field_of(form, name) for name in ("name", "email", "message")}
        if field_of(form, "website"):
            return _contact_sent(request, lang)  # the honeypot: store nothing
        container = get_container(request)
        try:
            limit(request, "contact", values["email"])
            problems = _problems(values)
            if problems:
                errors = field_errors(request, lang, problems)
                return _contact_form(request, lang, values=values, errors=errors)
            receive_message(
                UnitOfWork(container.engine, write=True),
                name=values["name"],
                email=values["email"],
                message=values["message"],
                now=container.clock.now(),
                lang=lang,
            )
        except InvalidInputError as error:
            # The checks above agree with the service's: this is a field they missed.
            field = error.field if error.field in _CONTACT_ERRORS else "message"
            errors = field_errors(request, lang, {field: _CONTACT_ERRORS[field]})
            return _contact_form(request, lang, values=values, errors=errors)
        except TooManyRequestsError as error:
            return too_many(request, lang, error)
        return _contact_sent(request, lang)

    return submit


for _lang, _prefix in PREFIXES.items():
    router.add_api_route(
        f"{_prefix}/contact", _contact_get(_lang), methods=["GET"], include_in_schema=False
    )
    router.add_api_route(
        f"{_prefix}/contact", _contact_post(_lang), methods=["POST"], include_in_schema=False
    )

"""« Mes données »: a signed-in learner's data, and their requests about it.

The page shows what ``gardien subject export`` gives, category by category: purposes with their
legal bases, recipients, records and each one's retention end. From it the learner downloads
their data (JSON; a zip of JSON and CSV files), corrects their name, objects to commercial
communication, or erases everything, after which a page says what a legal duty keeps, why
and until when. Each of these is recorded as a data-subject request (docs/requests.md).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from gardien.errors import AuthenticationError, InvalidInputError, TooManyRequestsError
from gardien.i18n.dates import format_day, format_time
from gardien.services import portal
from gardien.services.accounts.sessions import CurrentSession
from gardien.services.notice.phrases import FIELDS, LEGAL_BASES
from gardien.services.objection import object_to_commercial
from gardien.services.requests import requests_of
from gardien.store.uow import UnitOfWork
from gardien.web.auth import check_csrf, clear_session_cookie, require
from gardien.web.deps import FormDep, get_container, get_limits
from gardien.web.forms import N_, PREFIXES, Handler, field_of, page_base, too_many, translate

router = APIRouter()

# How many records of a category the page lists; the downloads hold them all.
PAGE_RECORDS = 20

RECORDS = {
    "learner": N_("Learner account"),
    "account": N_("Sign-in account"),
    "enrolment": N_("Enrolment"),
    "module_progress": N_("Progress in a module"),
    "activity_statement": N_("Learning trace"),
    "xapi_attachment": N_("Attachment to a learning trace"),
    "contract_learner": N_("Contract"),
    "cpf_dossier": N_("CPF dossier"),
    "opco_dossier": N_("OPCO dossier"),
    "invoice": N_("Invoice"),
    "commercial_contact": N_("Commercial contact"),
    "sponsor": N_("Sponsor"),
    "sponsor_contact": N_("Sponsor's contact"),
    "newsletter_subscription": N_("Newsletter subscription"),
    "contact_message": N_("Contact-form message"),
    "outbox_message": N_("E-mail sent"),
    "subject_request": N_("Your request"),
}
KINDS = {
    "access": N_("Access to my data"),
    "portability": N_("Download of my data"),
    "rectification": N_("Correction"),
    "erasure": N_("Erasure"),
    "objection": N_("Objection to commercial communication"),
}
# How a person reads the fields of their records (the notice's names first, by record.field).
FIELD_LABELS = {
    "pseudonym": N_("pseudonymous identifier"),
    "email": N_("e-mail address"),
    "mbox_sha1sum": N_("digest of the e-mail address (for learning traces)"),
    "given_name": N_("given name"),
    "family_name": N_("family name"),
    "created_at": N_("created on"),
    "last_activity_at": N_("last activity"),
    "password_set": N_("password set"),
    "second_factor_set": N_("second factor set"),
    "role": N_("role"),
    "activated_at": N_("opened on"),
    "password_changed_at": N_("password changed on"),
    "last_sign_in_at": N_("last sign-in"),
    "status": N_("status"),
    "timestamp": N_("when"),
    "verb": N_("action"),
    "statement": N_("learning trace"),
    "received_at": N_("received on"),
    "message": N_("message"),
    "name": N_("name"),
    "subject": N_("subject"),
    "kind": N_("kind"),
    "reference": N_("reference"),
}

STATUSES = {
    "open": N_("In progress"),
    "extended": N_("In progress, deadline extended"),
    "completed": N_("Done"),
    "refused": N_("Refused"),
}


def day(value: str | date | None, lang: str) -> str:
    """A date as people read it in ``lang`` (DD/MM/YYYY in French)."""
    return format_day(value, lang)


_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
_DAY = re.compile(r"^\d{4}-\d\d-\d\d$")


def shown(value: Any, lang: str) -> str:
    """A field's value on the page: instants in Paris time, dates as people write them, JSON
    data compact and cut, the rest as text."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✔" if value else "✘"
    if isinstance(value, dict | list):
        text = orjson.dumps(value).decode()
        return text if len(text) <= 160 else text[:157] + "…"
    if isinstance(value, str) and _INSTANT.match(value):
        try:
            return format_time(datetime.fromisoformat(value), lang)
        except ValueError:
            return value
    if isinstance(value, str) and _DAY.match(value):
        return day(value, lang)
    return str(value)


def field_label(request: Request, lang: str, record: str, name: str) -> str:
    """A field's name as a person reads it; the column's name when there is none."""
    text = FIELDS.get(f"{record}.{name}") or FIELD_LABELS.get(name)
    return translate(request, lang, text) if text else name


def _learner(request: Request) -> CurrentSession:
    return require(request, "learner")


def _page(
    request: Request, lang: str, session: CurrentSession, *, error: str = "", notice: str = ""
) -> HTMLResponse:
    container, pages, context = page_base(request)
    services = container.accounts()
    exported = portal.my_data(
        UnitOfWork(container.engine), services, session.account.email, limit=PAGE_RECORDS
    )
    requests = requests_of(
        UnitOfWork(container.engine), session.account.email, today=container.clock.today()
    )
    legal = {basis.value: translate(request, lang, text) for basis, text in LEGAL_BASES.items()}
    return pages.render(
        request,
        "my_data.html",
        lang,
        {
            **context,
            "data": exported,
            "requests": requests,
            "records": {key: translate(request, lang, text) for key, text in RECORDS.items()},
            "kinds": {key: translate(request, lang, text) for key, text in KINDS.items()},
            "statuses": {key: translate(request, lang, text) for key, text in STATUSES.items()},
            "legal": legal,
            "rules": container.policy.retention,
            "day": lambda value: day(value, lang),
            "shown": lambda value: shown(value, lang),
            "label": lambda record, name: field_label(request, lang, record, name),
            "page_records": PAGE_RECORDS,
            "prefix": PREFIXES[lang],
            "learner_identity": _identity(exported),
            "error": error,
            "notice": notice,
        },
        status_code=400 if error else 200,
    )


def _identity(exported: dict[str, Any]) -> dict[str, Any]:
    for category in exported["categories"]:
        for record in category["records"]:
            if record["record"] == "learner" and "given_name" in record["fields"]:
                return dict(record["fields"])
    return {}


def _data_get(lang: str) -> Handler:
    def page(request: Request) -> Response:
        return _page(request, lang, _learner(request))

    return page


def _export_post(lang: str) -> Handler:
    def download(request: Request, form: FormDep) -> Response:
        session = _learner(request)
        check_csrf(request, form)
        fmt = field_of(form, "format")
        if fmt not in ("json", "zip"):
            error = translate(request, lang, N_("Choose JSON or a zip of CSV files."))
            return _page(request, lang, session, error=error)
        container = get_container(request)
        services = container.accounts()
        # Not a request (nothing is asked of anyone): an audit entry, no request row.
        portal.record_download(
            UnitOfWork(container.engine, write=True), services, session.account, fmt=fmt
        )
        stamp = services.clock.today().isoformat()
        media = "application/json" if fmt == "json" else "application/zip"
        # Streamed from a worker thread (Starlette iterates a plain iterator off the event
        # loop), read from the database as it is sent: memory stays flat for any history.
        body = portal.download(
            UnitOfWork(container.engine), services, session.account.email, fmt=fmt, lang=lang
        )
        name = "my-data" if lang == "en" else "mes-donnees"
        return StreamingResponse(
            body,
            media_type=media,
            headers={
                "Content-Disposition": f'attachment; filename="{name}-{stamp}.{fmt}"',
                "Cache-Control": "no-store",
            },
        )

    return download


def _rectify_post(lang: str) -> Handler:
    def submit(request: Request, form: FormDep) -> Response:
        session = _learner(request)
        check_csrf(request, form)
        container = get_container(request)
        values = {name: field_of(form, name) for name in portal.RECTIFIABLE}
        try:
            done = portal.rectify(
                UnitOfWork(container.engine, write=True),
                container.accounts(),
                session.account,
                values,
            )
        except InvalidInputError:
            error = translate(request, lang, N_("Give a given name and a family name."))
            return _page(request, lang, session, error=error)
        text = N_("Your data is corrected.") if done.changed else N_("Nothing was changed.")
        return _page(request, lang, session, notice=translate(request, lang, text))

    return submit


def _object_post(lang: str) -> Handler:
    def submit(request: Request, form: FormDep) -> Response:
        session = _learner(request)
        check_csrf(request, form)
        container = get_container(request)
        object_to_commercial(
            UnitOfWork(container.engine, write=True),
            container.accounts(),
            actor=portal.actor_of(session.account),
            email=session.account.email,
        )
        notice = N_(
            "We will send you no more commercial communication, and we will not keep your"
            " address for it after your account ends."
        )
        return _page(request, lang, session, notice=translate(request, lang, notice))

    return submit


def _erase_post(lang: str) -> Handler:
    def submit(request: Request, form: FormDep) -> Response:
        session = _learner(request)
        check_csrf(request, form)
        if field_of(form, "confirm") != "yes":
            error = translate(request, lang, N_("Tick the box to confirm the erasure."))
            return _page(request, lang, session, error=error)
        container = get_container(request)
        try:
            # The password is typed again: 5 tries per account in 15 minutes (web/ratelimit.py).
            get_limits(request).account_action("erase", session.account.id)
            erased = portal.erase_me(
                lambda: UnitOfWork(container.engine, write=True),
                container.accounts(),
                session.account,
                password=field_of(form, "password"),
            )
        except TooManyRequestsError as limited:
            return too_many(request, lang, limited)
        except AuthenticationError:
            error = translate(request, lang, N_("Wrong password: nothing was erased."))
            return _page(request, lang, session, error=error)
        _container, pages, context = page_base(request)
        response = pages.render(
            request,
            "erased.html",
            lang,
            {
                **context,
                "signed_in": None,
                "result": erased.result,
                "request_ref": erased.request.reference,
                "rules": container.policy.retention,
                "records": {key: translate(request, lang, text) for key, text in RECORDS.items()},
                "legal": {
                    basis.value: translate(request, lang, text)
                    for basis, text in LEGAL_BASES.items()
                },
                "day": lambda value: day(value, lang),
                "kept_request": _request_rule(container.policy),
            },
        )
        clear_session_cookie(request, response)
        return response

    return submit


def _request_rule(policy: Any) -> Any:
    """The rule that keeps the request itself as proof, for the page to cite."""
    for rule in policy.retention.values():
        if rule.record == "subject_request":
            return rule
    return None


for _lang, _prefix in PREFIXES.items():
    for _path, _handler, _method in (
        ("/my-data", _data_get(_lang), "GET"),
        ("/my-data/export", _export_post(_lang), "POST"),
        ("/my-data/rectify", _rectify_post(_lang), "POST"),
        ("/my-data/object", _object_post(_lang), "POST"),
        ("/my-data/erase", _erase_post(_lang), "POST"),
    ):
        router.add_api_route(
            f"{_prefix}{_path}", _handler, methods=[_method], include_in_schema=False
        )

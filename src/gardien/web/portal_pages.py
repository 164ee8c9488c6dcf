"""« Mes données »: a signed-in learner's data, and their requests about it.

The page shows what ``gardien subject export`` gives, category by category: purposes with their
legal bases, recipients, records and each one's retention end. From it the learner downloads
their data (JSON; a zip of JSON and CSV files), corrects their name, objects to commercial
communication, or erases everything, after which a page says what a legal duty keeps, why
and until when. Each of these is recorded as a data-subject request (docs/requests.md).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from gardien.errors import AuthenticationError, InvalidInputError, TooManyRequestsError
from gardien.i18n.dates import format_day
from gardien.services import portal
from gardien.services.accounts.sessions import CurrentSession
from gardien.services.erasure import preview_erasure
from gardien.services.erasure_words import erasure_in_words, kept_in_words
from gardien.services.notice.phrases import LEGAL_BASES
from gardien.services.objection import object_to_commercial
from gardien.services.record_words import day as shown_day
from gardien.services.requests import requests_of
from gardien.store.uow import UnitOfWork
from gardien.web.auth import check_csrf, clear_session_cookie, require
from gardien.web.data_labels import KINDS, REQUEST_STATUSES, Words, recipient_names
from gardien.web.deps import FormDep, get_container, get_limits
from gardien.web.forms import N_, PREFIXES, Handler, field_of, page_base, too_many, translate

router = APIRouter()

# How many records of a category the page lists; the downloads hold them all.
PAGE_RECORDS = 20

# What a change said, shown once the browser has followed the redirect after the POST (so that
# reloading the page does not send the form again): ``?done=<key>``.
DONE = {
    "corrected": N_("Your data is corrected."),
    "unchanged": N_("Nothing was changed."),
    "objected": N_("Your objection is recorded: see below what it changed."),
}

# Re-exported: the request pages name kinds and statuses the same way.
__all__ = ["KINDS", "STATUSES", "day", "router"]
STATUSES = REQUEST_STATUSES


def day(value: str | date | None, lang: str) -> str:
    """A date as people read it in ``lang``: 01/09/2025 in French, 1 September 2025 in English."""
    return format_day(value, lang)


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
    kept = preview_erasure(
        session.account.email,
        uow=UnitOfWork(container.engine),
        policy=container.policy,
        clock=container.clock,
        lookup=services.lookup,
    )
    objection = next(
        (r for r in reversed(requests) if r.kind == "objection" and r.status == "completed"),
        None,
    )
    return pages.render(
        request,
        "my_data.html",
        lang,
        {
            **context,
            **_words_context(request, lang, container.policy),
            "data": exported,
            "requests": requests,
            "kinds": {key: translate(request, lang, text) for key, text in KINDS.items()},
            "statuses": {key: translate(request, lang, text) for key, text in STATUSES.items()},
            "recipients": recipient_names(exported["categories"]),
            "page_records": PAGE_RECORDS,
            "prefix": PREFIXES[lang],
            "learner_identity": _identity(exported),
            "kept": kept_in_words(kept, lang),
            "objection": objection,
            "removed": (objection.outcome or {}).get("removed", {}) if objection else {},
            "error": error,
            "notice": notice,
        },
        status_code=400 if error else 200,
    )


def _words_context(request: Request, lang: str, policy: Any) -> dict[str, Any]:
    """What the pages of one's data need to say it in words, in ``lang``."""
    return {
        "words": Words(lambda text, **values: translate(request, lang, text, **values), lang),
        "legal": {
            basis.value: translate(request, lang, text) for basis, text in LEGAL_BASES.items()
        },
        "rules": policy.retention,
        "day": lambda value: shown_day(value, lang),
    }


def _identity(exported: dict[str, Any]) -> dict[str, Any]:
    for category in exported["categories"]:
        for record in category["records"]:
            if record["record"] == "learner" and "given_name" in record["fields"]:
                return dict(record["fields"])
    return {}


def _data_get(lang: str) -> Handler:
    def page(request: Request) -> Response:
        done = DONE.get(request.query_params.get("done", ""))
        notice = translate(request, lang, done) if done else ""
        return _page(request, lang, _learner(request), notice=notice)

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
        return _done(lang, "corrected" if done.changed else "unchanged")

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
        return _done(lang, "objected")

    return submit


def _done(lang: str, key: str) -> Response:
    """Back to the page with what the change did (Post/Redirect/Get)."""
    return RedirectResponse(f"{PREFIXES[lang]}/my-data?done={key}", status_code=303)


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
                lang=lang,
            )
        except TooManyRequestsError as limited:
            return too_many(request, lang, limited)
        except AuthenticationError:
            error = translate(request, lang, N_("Wrong password: nothing was erased."))
            return _page(request, lang, session, error=error)
        _container, pages, context = page_base(request)
        # The e-mail queued with the erasure says the same, in the same words.
        erasure = erasure_in_words(
            erased.result, container.policy, reference=erased.request.reference, lang=lang
        )
        response = pages.render(
            request,
            "erased.html",
            lang,
            {**context, "signed_in": None, "erasure": erasure, "kept": erasure.kept},
        )
        clear_session_cookie(request, response)
        return response

    return submit


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

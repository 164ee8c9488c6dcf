"""The history of closed requests in the DPO console (role ``dpo`` only).

- ``GET /console/history`` (``/en/console/history``): the most recently closed requests.
- ``POST /console/history``: the same, filtered (kind, outcome, closed between two days) and
  searched by reference or address, a page at a time.

The search goes in the request's body, never in its URL: an address typed here must not land
in a proxy's access log or the browser's history. For the same reason the filters and the
page number travel with it, in one form (the page buttons belong to that form). Nothing here
logs what was searched; :mod:`gardien.services.request_history` audits the reading without
the address.
"""

from __future__ import annotations

from datetime import date
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gardien.errors import InvalidInputError
from gardien.i18n.dates import format_day
from gardien.services import console, request_history
from gardien.services.request_history import HistoryQuery
from gardien.store.uow import UnitOfWork
from gardien.web.auth import check_csrf, require
from gardien.web.console_pages import KINDS, STATUSES, format_instant
from gardien.web.deps import FormDep
from gardien.web.forms import N_, PREFIXES, Handler, field_of, page_base, translate

router = APIRouter()

# What a field says when its value cannot be used; nothing is searched then.
FIELD_ERRORS = {
    "search": N_("Enter a whole reference (DSR- and ten characters) or a whole e-mail address."),
    "closed_from": N_("Enter the first day as a date, for example 2026-03-31."),
    "closed_to": N_("Enter the last day as a date, on or after the first day."),
    "kind": N_("Choose a kind from the list."),
    "status": N_("Choose an outcome from the list."),
}
FIELDS = ("search", "kind", "status", "closed_from", "closed_to")


def _url(lang: str) -> str:
    return f"{PREFIXES[lang]}/console/history"


def _render(
    request: Request,
    lang: str,
    *,
    values: dict[str, str],
    result: request_history.HistoryPage | None,
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    _container, pages, context = page_base(request)
    prefix = PREFIXES[lang]
    kinds = {key: translate(request, lang, text) for key, text in KINDS.items()}
    statuses = {
        key: translate(request, lang, STATUSES[key]) for key in request_history.CLOSED_STATUSES
    }
    return pages.render(
        request,
        "console_history.html",
        lang,
        {
            **context,
            "console_url": f"{prefix}/console",
            "history_url": _url(lang),
            "request_url": lambda reference: f"{prefix}/console/requests/{reference}",
            "kinds": kinds,
            "statuses": statuses,
            "day": partial(format_day, lang=lang),
            "instant": partial(format_instant, lang=lang),
            "values": values,
            "result": result,
            "errors": errors,
        },
        status_code=status,
    )


def _day(text: str, name: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError("not a day", field=name) from None


def _query(values: dict[str, str], page_text: str) -> tuple[HistoryQuery | None, dict[str, str]]:
    """The query the form asks for, or the fields that are wrong (every one at once)."""
    problems: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for name in ("closed_from", "closed_to"):
        try:
            days[name] = _day(values[name], name)
        except InvalidInputError:
            problems[name] = FIELD_ERRORS[name]
    first, last = days.get("closed_from"), days.get("closed_to")
    if first and last and first > last:
        problems["closed_to"] = FIELD_ERRORS["closed_to"]
    try:
        request_history.search_kind(values["search"])
    except InvalidInputError:
        problems["search"] = FIELD_ERRORS["search"]
    if problems:
        return None, problems
    try:
        page = max(1, int(page_text or "1"))
    except ValueError:
        page = 1
    try:
        return HistoryQuery(
            kind=values["kind"] or None,
            status=values["status"] or None,
            closed_from=days["closed_from"],
            closed_to=days["closed_to"],
            search=values["search"],
            page=page,
        ), {}
    except InvalidInputError as error:
        field = error.field or "search"
        return None, {field: FIELD_ERRORS.get(field, FIELD_ERRORS["search"])}


def _show(request: Request, lang: str, query: HistoryQuery, values: dict[str, str]) -> Response:
    session = require(request, "dpo")
    container, _pages, _context = page_base(request)
    result = request_history.closed_requests(
        UnitOfWork(container.engine, write=True),
        query,
        actor=console.dpo_actor(session.account.id),
        now=container.clock.now(),
    )
    return _render(request, lang, values=values, result=result, errors={})


def _history_get(lang: str) -> Handler:
    def page(request: Request) -> Response:
        require(request, "dpo")
        return _show(request, lang, HistoryQuery(), dict.fromkeys(FIELDS, ""))

    return page


def _history_post(lang: str) -> Handler:
    def search(request: Request, form: FormDep) -> Response:
        require(request, "dpo")
        check_csrf(request, form)
        values = {name: field_of(form, name) for name in FIELDS}
        query, problems = _query(values, field_of(form, "page"))
        if query is None:
            errors = {name: translate(request, lang, text) for name, text in problems.items()}
            return _render(request, lang, values=values, result=None, errors=errors, status=400)
        return _show(request, lang, query, values)

    return search


for _lang, _prefix in PREFIXES.items():
    for _handler, _method in ((_history_get(_lang), "GET"), (_history_post(_lang), "POST")):
        router.add_api_route(
            f"{_prefix}/console/history", _handler, methods=[_method], include_in_schema=False
        )

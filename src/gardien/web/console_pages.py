"""The DPO console (role ``dpo`` only): French at ``/console``, English under ``/en/console``.

- ``/console``: open requests with their days left (overdue ones flagged), the purge forecast
  for the next six months, the last sweeps, and whether the audit chain verifies.
- ``/console/requests/{reference}``: one request, and the forms to extend its deadline,
  complete it, refuse it, or (an erasure filed without an account) carry out the erasure.
- ``/console/messages``: the contact messages, in :mod:`gardien.web.console_messages`.

The use cases are in :mod:`gardien.services.console`; every decision is audit-logged with the
actor ``dpo:<account id>``. A form with an empty text comes back with a message (400) and
nothing changed; a decision the request's state forbids is a 409 page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gardien.errors import InvalidInputError
from gardien.i18n.dates import format_day
from gardien.services import console, purges
from gardien.services.requests import RequestView
from gardien.store.uow import UnitOfWork
from gardien.web.auth import check_csrf, require
from gardien.web.deps import FormDep, get_container
from gardien.web.forms import N_, PREFIXES, Handler, field_of, page_base, translate

router = APIRouter()

KINDS = {
    "access": N_("Access"),
    "portability": N_("Portability"),
    "rectification": N_("Rectification"),
    "erasure": N_("Erasure"),
    "objection": N_("Objection"),
}
STATUSES = {
    "open": N_("Open"),
    "extended": N_("Extended"),
    "completed": N_("Completed"),
    "refused": N_("Refused"),
}
IDENTITY_CHECKS = {
    "session": N_("Signed in to their account"),
    "email_link": N_("Link sent to the address (no account)"),
}
ACTIONS = {"delete": N_("delete"), "anonymise": N_("anonymise")}
# What a form says when its text is missing or too long; nothing was changed.
FORM_ERRORS = {
    "extend": N_("Write the reason the person will be told (at most 2,000 characters)."),
    "complete": N_("Write what was done (at most 2,000 characters)."),
    "refuse": N_("Write why the request is refused (at most 2,000 characters)."),
}


def format_instant(at: datetime | None, lang: str) -> str:
    """An instant in UTC, to the minute: ``01/06/2026 10:00 UTC`` (fr), ``1 June 2026 10:00 UTC``
    (en)."""
    if at is None:
        return ""
    at = at.astimezone(UTC)
    return f"{format_day(at.date(), lang)} {at:%H:%M} UTC"


def _labels(request: Request, lang: str, labels: dict[str, str]) -> dict[str, str]:
    return {key: translate(request, lang, text) for key, text in labels.items()}


def _common(request: Request, lang: str) -> dict[str, Any]:
    """What every console page's template uses: links, labels, date formatting."""
    prefix = PREFIXES[lang]
    return {
        "console_url": f"{prefix}/console",
        "messages_url": f"{prefix}/console/messages",
        "kinds": _labels(request, lang, KINDS),
        "statuses": _labels(request, lang, STATUSES),
        "day": partial(format_day, lang=lang),
        "instant": partial(format_instant, lang=lang),
    }


def _request_url(lang: str, reference: str) -> str:
    return f"{PREFIXES[lang]}/console/requests/{reference}"


# -- the dashboard -----------------------------------------------------------------------------


def _dashboard_get(lang: str) -> Handler:
    def page(request: Request) -> Response:
        require(request, "dpo")
        container, pages, context = page_base(request)
        board = console.dashboard(container.engine, policy=container.policy, clock=container.clock)
        labels = {
            rule_id: rule.label.in_(lang) for rule_id, rule in container.policy.retention.items()
        }
        windows = (
            [month.window for month in board.forecast.rules[0].months]
            if board.forecast.rules
            else []
        )
        return pages.render(
            request,
            "console.html",
            lang,
            {
                **context,
                **_common(request, lang),
                "board": board,
                "request_url": partial(_request_url, lang),
                "rule_labels": labels,
                "actions": _labels(request, lang, ACTIONS),
                "months": [f"{w.first:%m/%Y}" if lang == "fr" else w.month for w in windows],
                # The forecast and the nightly jobs, as on the purges page (console_purges.py).
                "forecast": board.forecast,
                "schedule": purges.schedule(container.engine, now=container.clock.now()),
                "late_hours": int(purges.LATE_AFTER.total_seconds() // 3600),
                "purges_url": f"{PREFIXES[lang]}/console/purges",
            },
        )

    return page


# -- one request -------------------------------------------------------------------------------


def _request_page(
    request: Request,
    lang: str,
    reference: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    container, pages, context = page_base(request)
    today = container.clock.today()
    view = console.console_request(UnitOfWork(container.engine), reference, today=today)
    action = _request_url(lang, reference)
    return pages.render(
        request,
        "console_request.html",
        lang,
        {
            **context,
            **_common(request, lang),
            "item": view,
            "identity_check": translate(
                request, lang, IDENTITY_CHECKS.get(view.identity_check, view.identity_check)
            ),
            "can_extend": not view.closed and view.deadline.can_extend(today),
            "can_erase": console.can_erase_here(view),
            "can_object": console.can_object_here(view),
            "details": _pretty(view.details) if view.details else "",
            "outcome": _pretty(view.outcome) if view.outcome is not None else "",
            "erasure": _erasure_summary(view.outcome, lang),
            "actions": {
                name: f"{action}/{name}"
                for name in ("extend", "complete", "refuse", "erase", "object")
            },
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status,
    )


def _pretty(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)


def _erasure_summary(outcome: dict[str, Any] | None, lang: str) -> dict[str, Any] | None:
    """An erasure's outcome (:meth:`ErasureResult.as_json`) made readable, or None."""
    if not outcome or not isinstance(outcome.get("erased"), dict):
        return None
    kept = []
    for record in outcome.get("kept") or []:
        if not isinstance(record, dict):
            continue
        reason = record.get("reason")
        until = record.get("until")
        try:
            day = format_day(date.fromisoformat(until), lang) if isinstance(until, str) else ""
        except ValueError:
            day = until or ""
        kept.append(
            {
                "record": record.get("record", ""),
                "key": record.get("key", ""),
                "reason": reason.get(lang, "") if isinstance(reason, dict) else "",
                "until": day,
            }
        )
    recipients = [
        str(item.get("recipient", ""))
        for item in outcome.get("recipients_to_inform") or []
        if isinstance(item, dict)
    ]
    return {"erased": outcome["erased"], "kept": kept, "recipients": recipients}


def _request_get(lang: str) -> Handler:
    def page(request: Request, reference: str) -> Response:
        require(request, "dpo")
        return _request_page(request, lang, reference)

    return page


Decide = Callable[..., RequestView]


def _decision_post(lang: str, name: str, decide: Decide, text_field: str) -> Handler:
    """A form that decides on a request with a text (extend, complete, refuse)."""

    def submit(request: Request, reference: str, form: FormDep) -> Response:
        session = require(request, "dpo")
        check_csrf(request, form)
        text = field_of(form, text_field)
        container = get_container(request)
        try:
            decide(
                UnitOfWork(container.engine, write=True),
                container.accounts(),
                reference=reference,
                actor=console.dpo_actor(session.account.id),
                **{text_field: text},
            )
        except InvalidInputError:
            error = translate(request, lang, FORM_ERRORS[name])
            return _request_page(
                request, lang, reference, errors={name: error}, values={name: text}, status=400
            )
        return RedirectResponse(_request_url(lang, reference), status_code=303)

    return submit


def _carry_out_post(lang: str, carry_out: Callable[..., object]) -> Handler:
    """A button that carries out a request filed by e-mail link (an erasure, an objection)."""

    def submit(request: Request, reference: str, form: FormDep) -> Response:
        session = require(request, "dpo")
        check_csrf(request, form)
        container = get_container(request)
        carry_out(
            UnitOfWork(container.engine, write=True),
            container.accounts(),
            reference=reference,
            actor=console.dpo_actor(session.account.id),
        )
        return RedirectResponse(_request_url(lang, reference), status_code=303)

    return submit


for _lang, _prefix in PREFIXES.items():
    _routes: list[tuple[str, Handler, str]] = [
        ("/console", _dashboard_get(_lang), "GET"),
        ("/console/requests/{reference}", _request_get(_lang), "GET"),
        (
            "/console/requests/{reference}/extend",
            _decision_post(_lang, "extend", console.extend, "reason"),
            "POST",
        ),
        (
            "/console/requests/{reference}/complete",
            _decision_post(_lang, "complete", console.complete, "note"),
            "POST",
        ),
        (
            "/console/requests/{reference}/refuse",
            _decision_post(_lang, "refuse", console.refuse, "reason"),
            "POST",
        ),
        (
            "/console/requests/{reference}/erase",
            _carry_out_post(_lang, console.carry_out_erasure),
            "POST",
        ),
        (
            "/console/requests/{reference}/object",
            _carry_out_post(_lang, console.carry_out_objection),
            "POST",
        ),
    ]
    for _path, _handler, _method in _routes:
        router.add_api_route(
            f"{_prefix}{_path}", _handler, methods=[_method], include_in_schema=False
        )

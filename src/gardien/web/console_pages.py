"""The DPO console (role ``dpo`` only): French at ``/console``, English under ``/en/console``.

- ``/console``: open requests with their days left (overdue ones flagged), the purge forecast
  for the next six months, the last sweeps, and whether the audit chain verifies.
- ``/console/requests/{reference}``: one request and what answers it, in
  :mod:`gardien.web.console_requests`.
- ``/console/messages``: the contact messages, in :mod:`gardien.web.console_messages`.
- ``/console/history``: the closed requests, in :mod:`gardien.web.console_history`.
- ``/console/purges``: purges, in :mod:`gardien.web.console_purges`.

The use cases are in :mod:`gardien.services.console`.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gardien.i18n.dates import format_day, format_time
from gardien.services import console, purges
from gardien.web.auth import require
from gardien.web.forms import N_, PREFIXES, Handler, page_base, translate

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


def format_instant(at: datetime | None, lang: str) -> str:
    """An instant in Paris time, as every page writes it: ``01/06/2026 12:00`` (fr),
    ``1 June 2026 12:00`` (en)."""
    if at is None:
        return ""
    return format_time(at, lang)


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


for _lang, _prefix in PREFIXES.items():
    _routes: list[tuple[str, Handler, str]] = [
        ("/console", _dashboard_get(_lang), "GET"),
    ]
    for _path, _handler, _method in _routes:
        router.add_api_route(
            f"{_prefix}{_path}", _handler, methods=[_method], include_in_schema=False
        )

"""The sponsor space, for sponsors' contacts only: their sponsor's contracts, and of each
contract's learners exactly what the policy lets the sponsor receive. French at the root,
English under ``/en``.

Opening a contract whose learners' data may be shown is a transmission, logged before the page
is built (:mod:`gardien.services.sponsor_space`); the page is therefore never cached. Another
sponsor's contract and an unknown reference both answer 404.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gardien.domain.vocabulary import FundingType, LegalBasis
from gardien.i18n.dates import format_day, local_day
from gardien.services.notice.phrases import FIELDS, LEGAL_BASES
from gardien.services.sponsor_space import ContractView, sponsor_overview, view_contract
from gardien.store.disclosure import LEARNING_PATH
from gardien.store.uow import UnitOfWork
from gardien.web.auth import require
from gardien.web.forms import N_, PREFIXES, page_base, translate

router = APIRouter()

ROLE = "sponsor_contact"
SyncHandler = Callable[..., Response]
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
NO_VALUE = "—"

# One contract's funding, as a table cell names it.
FUNDING = {
    FundingType.ONLINE_PAYMENT: N_("Online payment"),
    FundingType.CPF: N_("CPF (personal training account)"),
    FundingType.OPCO: N_("OPCO"),
    FundingType.EMPLOYER_PLAN: N_("Employer's training plan"),
    FundingType.SCHOOL_PLAN: N_("School's training plan"),
}
# The learning path's columns, as a person names them.
PATH_FIELDS = {
    "learning_path.code": N_("path code"),
    "learning_path.title": N_("learning path"),
    "enrolment.enrolled_at": N_("enrolled on"),
    "enrolment.status": N_("status"),
    "enrolment.progress": N_("progress"),
    "enrolment.completed_at": N_("completed on"),
    "learning_module.code": N_("module code"),
    "learning_module.title": N_("module"),
    "module_progress.status": N_("status"),
    "module_progress.score_scaled": N_("score"),
    "module_progress.updated_at": N_("last updated"),
}
STATUSES = {
    "enrolled": N_("enrolled"),
    "in_progress": N_("in progress"),
    "completed": N_("completed"),
    "withdrawn": N_("withdrawn"),
    "attempted": N_("attempted"),
    "passed": N_("passed"),
    "failed": N_("failed"),
}
_STATUS_FIELDS = ("enrolment.status", "module_progress.status")
_PERCENT_FIELDS = ("enrolment.progress",)
_SCALED_FIELDS = ("module_progress.score_scaled",)
# Shown above a path's modules rather than as a row of its own.
_PATH_TITLE = ("learning_path.title", "learning_path.code")


def day(value: date, lang: str) -> str:
    """A date as a person reads it: 01/09/2025 in French, 2025-09-01 in English."""
    return format_day(value, lang)


def _label(request: Request, lang: str, dotted: str) -> str:
    known = FIELDS.get(dotted) or PATH_FIELDS.get(dotted)
    # A field the wording does not know yet: its column name, made readable.
    text = translate(request, lang, known) if known else dotted.partition(".")[2].replace("_", " ")
    return text[:1].upper() + text[1:]


def _value(request: Request, lang: str, dotted: str, value: Any) -> str:
    """One transmitted value (JSON: dates as ISO text) as a person reads it."""
    if value is None or value == "" or value == []:
        return NO_VALUE
    if isinstance(value, bool):
        return translate(request, lang, N_("yes") if value else N_("no"))
    if dotted in _STATUS_FIELDS and value in STATUSES:
        return translate(request, lang, STATUSES[value])
    if dotted in _PERCENT_FIELDS and isinstance(value, int | float):
        return translate(request, lang, N_("%(percent)d%%"), percent=round(value))
    if dotted in _SCALED_FIELDS and isinstance(value, int | float):
        return translate(request, lang, N_("%(percent)d%%"), percent=round(value * 100))
    if isinstance(value, str) and _DAY.match(value):
        return day(date.fromisoformat(value), lang)
    if isinstance(value, str) and _INSTANT.match(value):
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
        return day(local_day(instant), lang)
    if isinstance(value, list):
        return ", ".join(_value(request, lang, dotted, item) for item in value)
    if isinstance(value, dict):
        return ", ".join(
            f"{key}: {_value(request, lang, key, item)}" for key, item in value.items()
        )
    return str(value)


def _funding(request: Request, lang: str, funding_type: FundingType) -> str:
    return translate(request, lang, FUNDING[funding_type])


def _overview(lang: str) -> SyncHandler:
    # Plain functions: the database work runs in FastAPI's thread pool, not on the event loop.
    def page(request: Request) -> Response:
        session = require(request, ROLE)
        container, pages, context = page_base(request)
        overview = sponsor_overview(
            UnitOfWork(container.engine), policy=container.policy, account_id=session.account.id
        )
        contracts = [
            {
                "reference": line.reference,
                "url": f"{PREFIXES[lang]}/sponsor/contracts/{quote(line.reference, safe='')}",
                "funding": _funding(request, lang, line.funding_type),
                "starts_on": day(line.starts_on, lang),
                "ends_on": day(line.ends_on, lang),
                "learners": line.learners,
                "shows_data": line.shows_data,
            }
            for line in overview.contracts
        ]
        return pages.render(
            request,
            "sponsor.html",
            lang,
            {**context, "sponsor_name": overview.sponsor_name, "contracts": contracts},
        )

    return page


def _learner_heading(request: Request, lang: str, record: dict[str, Any], number: int) -> str:
    names = [record.get("learner.given_name"), record.get("learner.family_name")]
    named = " ".join(str(n) for n in names if n)
    return named or translate(request, lang, N_("Learner %(number)d"), number=number)


def _in_order(keys: dict[str, Any]) -> list[str]:
    """The keys of a path or module in reading order (the payload sorts them by name)."""
    order = list(PATH_FIELDS)
    return sorted(keys, key=lambda k: (order.index(k) if k in order else len(order), k))


def _learning_paths(request: Request, lang: str, view: ContractView) -> list[dict[str, Any]]:
    """Per learner, their paths under the contract: the path's own values, then its modules."""
    learners = []
    for number, record in enumerate(view.records, start=1):
        paths = []
        for path in record.get(LEARNING_PATH) or []:
            title = " — ".join(str(path[k]) for k in _PATH_TITLE if path.get(k))
            facts = [
                (_label(request, lang, key), _value(request, lang, key, path[key]))
                for key in _in_order(path)
                if key != "modules" and key not in _PATH_TITLE
            ]
            modules = path.get("modules") or []
            columns = _in_order({key: None for module in modules for key in module})
            paths.append(
                {
                    "title": title,
                    "facts": facts,
                    "headers": [_label(request, lang, key) for key in columns],
                    "rows": [
                        [_value(request, lang, key, module.get(key)) for key in columns]
                        for module in modules
                    ],
                }
            )
        learners.append(
            {"heading": _learner_heading(request, lang, record, number), "paths": paths}
        )
    return learners


def _contract(lang: str) -> SyncHandler:
    def page(request: Request, reference: str) -> Response:
        session = require(request, ROLE)
        container, pages, context = page_base(request)
        view = view_contract(
            UnitOfWork(container.engine, write=True),
            policy=container.policy,
            clock=container.clock,
            account_id=session.account.id,
            reference=reference,
        )
        basis = (
            translate(request, lang, LEGAL_BASES[LegalBasis(view.legal_basis)])
            if view.legal_basis
            else ""
        )
        values = {
            **context,
            "reference": view.reference,
            "back_url": f"{PREFIXES[lang]}/sponsor",
            "funding": _funding(request, lang, view.funding_type),
            "starts_on": day(view.starts_on, lang),
            "ends_on": day(view.ends_on, lang),
            "learners": view.learners,
            "summary": view.summary.in_(lang) if view.summary else "",
            "shows_data": view.recipient is not None,
            "recipient": view.recipient_label.in_(lang) if view.recipient_label else "",
            "basis": basis,
            "headers": [_label(request, lang, f) for f in view.fields],
            "rows": [
                [_value(request, lang, f, r.get(f)) for f in view.fields] for r in view.records
            ],
            "learning_path": view.learning_path,
            "paths": _learning_paths(request, lang, view) if view.learning_path else [],
        }
        # A transmission's content: neither the browser nor a proxy keeps a copy.
        return pages.render(
            request, "sponsor_contract.html", lang, values, headers={"Cache-Control": "no-store"}
        )

    return page


for _lang, _prefix in PREFIXES.items():
    _routes: list[tuple[str, SyncHandler]] = [
        ("/sponsor", _overview(_lang)),
        # References may hold a slash: the links quote it, the route takes the rest of the path.
        ("/sponsor/contracts/{reference:path}", _contract(_lang)),
    ]
    for _path, _handler in _routes:
        router.add_api_route(
            f"{_prefix}{_path}", _handler, methods=["GET"], include_in_schema=False
        )

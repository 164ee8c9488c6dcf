"""The sponsor space's words: what a contract's funding, a transmitted field and its value are
called for a person, in French or English. The contract page and its CSV say the same things.

Values arrive as the transmission sent them (JSON: dates as ISO 8601 text, statuses as codes,
progress as a fraction) and leave as a person writes them (01/09/2025, « en cours », 84 %).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from fastapi import Request

from gardien.domain.vocabulary import FundingType
from gardien.i18n.dates import format_day, local_day
from gardien.services.notice.phrases import FIELDS
from gardien.web.forms import N_, translate

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
# A field no wording knows yet is still named in words, never by its column.
_UNKNOWN_FIELD = N_("other information")


def day(value: date, lang: str) -> str:
    """A date as a person reads it: 01/09/2025 in French, 1 September 2025 in English."""
    return format_day(value, lang)


def funding(request: Request, lang: str, funding_type: FundingType) -> str:
    return translate(request, lang, FUNDING[funding_type])


def label(request: Request, lang: str, dotted: str, wording: dict[str, str] | None = None) -> str:
    """A field's name for a person, capitalised; ``wording`` overrides the usual names."""
    known = (wording or {}).get(dotted) or FIELDS.get(dotted) or PATH_FIELDS.get(dotted)
    text = translate(request, lang, known or _UNKNOWN_FIELD)
    return text[:1].upper() + text[1:]


def value(request: Request, lang: str, dotted: str, raw: Any) -> str:
    """One transmitted value (JSON: dates as ISO text) as a person reads it."""
    if raw is None or raw == "" or raw == [] or raw == {}:
        return NO_VALUE
    if isinstance(raw, bool):
        return translate(request, lang, N_("yes") if raw else N_("no"))
    if dotted in _STATUS_FIELDS and raw in STATUSES:
        return translate(request, lang, STATUSES[raw])
    if dotted in _PERCENT_FIELDS and isinstance(raw, int | float):
        return translate(request, lang, N_("%(percent)d%%"), percent=round(raw))
    if dotted in _SCALED_FIELDS and isinstance(raw, int | float):
        return translate(request, lang, N_("%(percent)d%%"), percent=round(raw * 100))
    if isinstance(raw, str) and _DAY.match(raw):
        return day(date.fromisoformat(raw), lang)
    if isinstance(raw, str) and _INSTANT.match(raw):
        try:
            instant = datetime.fromisoformat(raw)
        except ValueError:
            return raw
        return day(local_day(instant), lang)
    if isinstance(raw, list):
        return ", ".join(value(request, lang, dotted, item) for item in raw)
    if isinstance(raw, dict):
        # A document (a certificate): its name if it has one, never its keys or its bytes.
        name = raw.get("filename")
        return str(name) if name else NO_VALUE
    return str(raw)

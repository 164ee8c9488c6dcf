"""A request's « Précisions » and outcome in words, for the DPO console: no raw JSON.

What the person wrote is shown as they wrote it; the rest (their language, the fields they
asked to correct, what an erasure removed and kept, the download link sent) in sentences,
with records and fields named as the person's own pages name them (:mod:`.data_labels`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request

from gardien.i18n.dates import format_day
from gardien.policy import Policy
from gardien.services.erasure import KeptRecord
from gardien.services.erasure_words import kept_in_words
from gardien.services.notice.phrases import LEGAL_BASES
from gardien.services.record_words import day
from gardien.services.requests import RequestView
from gardien.web.data_labels import Words
from gardien.web.forms import N_, translate

LANGUAGES = {"fr": N_("French"), "en": N_("English")}
# What an erasure did to a row it did not delete, as its result names it ("opco_dossier
# (detached)"): the row stays, without the person.
CHANGES = {
    "detached": N_("unlinked from the person"),
    "person replaced": N_("the person's name replaced"),
    "anonymised": N_("anonymised"),
    "e-mail": N_("e-mail address removed"),
}


def erased_name(name: str, words: Words, translate: Callable[[str], str]) -> str:
    """A key of an erasure's result in words: « Dossier OPCO (délié de la personne) »."""
    record, _, change = name.partition(" (")
    change = change.removesuffix(")")
    known = CHANGES.get(change)
    shown = words.record(record)
    return f"{shown} ({translate(known) if known else change})" if change else shown


def kept_context(request: Request, lang: str, policy: Policy) -> dict[str, Any]:
    """What ``_kept_records.html`` needs to say what the law keeps, as « Mes données » says it."""
    return {
        "words": console_words(request, lang),
        "legal": {
            basis.value: translate(request, lang, text) for basis, text in LEGAL_BASES.items()
        },
        "day": lambda value: day(value, lang),
    }


class ConsoleWords(Words):
    """The same words for the DPO, who reads about someone else's requests."""

    def record(self, name: str) -> str:
        return self.t(N_("Request")) if name == "subject_request" else super().record(name)


def console_words(request: Request, lang: str) -> ConsoleWords:
    """The export's words in ``lang`` for the console's pages."""
    return ConsoleWords(lambda text, **values: translate(request, lang, text, **values), lang)


def _fields(words: Words, names: Any) -> str:
    """``record.field`` names (or bare field names) in words, in one line."""
    shown = []
    for name in names if isinstance(names, list) else []:
        record, _, field = str(name).rpartition(".")
        shown.append(words.label(record, field) if record else words.label("", field))
    return ", ".join(shown)


def details_in_words(request: Request, lang: str, details: dict[str, Any]) -> list[dict[str, str]]:
    """What came with the request, as (label, text) rows; ``text`` as the person wrote it."""
    words = console_words(request, lang)
    rows = []
    message = details.get("message")
    if isinstance(message, str) and message:
        rows.append(
            {"label": translate(request, lang, N_("What the person wrote")), "text": message}
        )
    person = details.get("lang")
    if isinstance(person, str):
        known = LANGUAGES.get(person)
        rows.append(
            {
                "label": translate(request, lang, N_("Their language (for the e-mails)")),
                "text": translate(request, lang, known) if known else person,
            }
        )
    if details.get("fields"):
        rows.append(
            {
                "label": translate(request, lang, N_("Fields to correct")),
                "text": _fields(words, details["fields"]),
            }
        )
    for key, value in details.items():
        if key in ("message", "lang", "fields"):
            continue
        rows.append({"label": words.label("", key), "text": words.value("", value)})
    return rows


def outcome_in_words(
    request: Request, lang: str, view: RequestView, policy: Policy
) -> dict[str, Any] | None:
    """What answered the request, in words; ``None`` while it is open."""
    outcome = view.outcome
    if outcome is None:
        return None
    words = console_words(request, lang)
    said: dict[str, Any] = {
        "note": outcome.get("note") if isinstance(outcome.get("note"), str) else "",
        "reason": outcome.get("reason") if isinstance(outcome.get("reason"), str) else "",
    }
    if isinstance(outcome.get("rectified"), list):
        said["rectified"] = _fields(words, outcome["rectified"])
    link = outcome.get("export_link")
    if isinstance(link, dict) and isinstance(link.get("expires_at"), str):
        said["link_until"] = format_day(link["expires_at"], lang)
    if isinstance(outcome.get("erased"), dict):
        said["erased"] = [
            (erased_name(str(name), words, lambda text: translate(request, lang, text)), count)
            for name, count in outcome["erased"].items()
            if isinstance(count, int) and count > 0
        ]
        said["kept"] = kept_in_words(
            [
                KeptRecord.from_json(record)
                for record in outcome.get("kept") or []
                if isinstance(record, dict)
            ],
            lang,
        )
        labels = {
            key: recipient.label.model_dump()[lang]
            for rule in policy.disclosure.values()
            for key, recipient in rule.recipients.items()
        }
        said["recipients"] = [
            labels.get(str(item.get("recipient")), str(item.get("recipient", "")))
            for item in outcome.get("recipients_to_inform") or []
            if isinstance(item, dict)
        ]
    if outcome.get("stopped"):
        said["stopped"] = True
    return said

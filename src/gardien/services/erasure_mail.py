"""The e-mail that tells a person their data is erased: what went, what the law keeps, why.

Composed from an erasure's outcome (:meth:`~gardien.services.erasure.ErasureResult.as_json`,
without the subject), in the person's language. Records and fields are named in words by a
:class:`RecordWords` the caller gives (the web layer's ``data_labels.Words``, the same words
the person's own pages use), so the e-mail and the pages say the same thing.

It is queued in the transaction that closes the request. It stores the address once more, in
the outbox, after the erasure: the request row keeps it anyway (proof that the request was
answered, the subject-request rule), and the outbox message goes by its own rule.

The DPO console sends it for an erasure filed without an account. The self-service erasure
("Mes données") is meant to use the same composition: one module for both once merged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sqlalchemy import Connection

from gardien.i18n.dates import format_day
from gardien.services.accounts.context import AccountServices
from gardien.services.accounts.mails import queue_account_mail
from gardien.services.notice.phrases import LEGAL_BASES, N_
from gardien.services.website.render import gettext

ERASED_MAIL = "request_erased"
# What an erasure did to a row it did not delete, as its result names it ("opco_dossier
# (detached)"): the row stays, without the person.
CHANGES = {
    "detached": N_("unlinked from the person"),
    "person replaced": N_("the person's name replaced"),
    "anonymised": N_("anonymised"),
    "e-mail": N_("e-mail address removed"),
}


class RecordWords(Protocol):
    """Names of records and of their fields, as a person reads them, in one language."""

    def record(self, name: str) -> str: ...

    def label(self, record: str, name: str) -> str: ...


def erased_name(name: str, words: RecordWords, translate: Callable[[str], str]) -> str:
    """A key of an erasure's result in words: « Dossier OPCO (délié de la personne) »."""
    record, _, change = name.partition(" (")
    change = change.removesuffix(")")
    known = CHANGES.get(change)
    shown = words.record(record)
    return f"{shown} ({translate(known) if known else change})" if change else shown


def erased_lines(outcome: Mapping[str, Any], words: RecordWords, lang: str) -> list[str]:
    """What went, one line per kind of record: « Trace d'apprentissage : 12 »."""
    colon = " : " if lang == "fr" else ": "  # French sets a space before the colon
    erased = outcome.get("erased") or {}
    return [
        f"{erased_name(str(name), words, lambda text: gettext(lang, text))}{colon}{count}"
        for name, count in erased.items()
        if isinstance(count, int) and count > 0
    ]


def kept_lines(outcome: Mapping[str, Any], words: RecordWords, lang: str) -> list[dict[str, str]]:
    """What a legal duty keeps, in words: which record, which fields, why, until when."""
    kept = []
    for record in outcome.get("kept") or []:
        if not isinstance(record, Mapping):
            continue
        name = str(record.get("record", ""))
        fields = [words.label(name, str(field)) for field in record.get("fields") or []]
        reason = record.get("reason")
        reason = reason if isinstance(reason, Mapping) else {}
        basis = next(
            (text for b, text in LEGAL_BASES.items() if b.value == record.get("legal_basis")),
            None,
        )
        until = record.get("until")
        kept.append(
            {
                "record": f"{words.record(name)} {record.get('key', '')}".strip(),
                "fields": ", ".join(fields),
                "why": str(reason.get(lang) or reason.get("fr") or ""),
                "basis": gettext(lang, basis) if basis else "",
                "article": str(record.get("article") or ""),
                "until": format_day(until, lang) if isinstance(until, str) else "",
            }
        )
    return kept


def queue_erasure_mail(
    connection: Connection,
    services: AccountServices,
    *,
    row: Any,
    outcome: Mapping[str, Any],
    words: RecordWords,
    lang: str,
    follow: str,
) -> None:
    """Queue, in the caller's transaction, the e-mail saying what was erased and what is kept.

    ``row`` is the request's row (reference, address), ``follow`` its follow-up page.
    """
    queue_account_mail(
        connection,
        services,
        kind=ERASED_MAIL,
        template="request_erased",
        recipient=row.email,
        lang=lang,
        dedupe=row.reference,
        context={
            "reference": row.reference,
            "day": format_day(str(outcome.get("as_of") or services.clock.today()), lang),
            "erased": erased_lines(outcome, words, lang),
            "kept": kept_lines(outcome, words, lang),
            "recipients": len(outcome.get("recipients_to_inform") or []),
            "follow": follow,
        },
    )

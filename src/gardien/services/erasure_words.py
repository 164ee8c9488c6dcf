"""An erasure's answer in a person's words: what a legal duty keeps, why and until when.

The erasure form of « Mes données » (before), the page shown after an erasure and the e-mail
that follows it (:mod:`gardien.services.erasure_mail`) all say it with the words built here,
so the page and the e-mail cannot tell the person two different things.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gardien.domain.vocabulary import LegalBasis
from gardien.policy import Policy
from gardien.policy.model import RetentionRule
from gardien.services.erasure import ErasureResult, KeptRecord
from gardien.services.notice.phrases import LEGAL_BASES
from gardien.services.record_words import N_, RecordWords, Translate, day, translator


@dataclass(frozen=True)
class KeptWords:
    """One record kept despite the erasure, said as the person reads it."""

    title: str  # « Dossier OPCO OPCO-AG-1 »
    until: str  # « conservation jusqu'au 30/06/2032 », or "" when the record has no end
    what: str  # the fields kept, « Nom du stagiaire, date de début de la formation », or ""
    why: str  # the policy's reason, with its legal basis and article


@dataclass(frozen=True)
class ErasureWords:
    """Everything the page after an erasure and its e-mail say, in one language."""

    day: str  # the day of the erasure
    reference: str  # the request's reference, for the person to quote
    kept: list[KeptWords]
    # The rule that keeps the request itself as proof (its label), and for how many months
    # after closing; None when the policy has no such rule.
    request_rule: str | None
    request_months: int
    recipients: list[str]  # who received the person's data and is told of the erasure
    accountability: str


def kept_in_words(kept: Sequence[KeptRecord], lang: str) -> list[KeptWords]:
    """The records an erasure keeps (or would keep), each in words in ``lang``."""
    t = translator(lang)
    words = RecordWords(t, lang)
    said = []
    for item in kept:
        labels = [words.label(item.record, name) for name in item.fields]
        what = ", ".join([*labels[:1], *(label.lower() for label in labels[1:])])
        why = item.reason.get(lang) or item.reason.get("fr", "")
        if item.legal_basis:
            basis = _basis(item.legal_basis, t)
            if item.article:
                article = t(N_("GDPR art. %(article)s"), article=item.article)
                basis = f"{basis}, {article}"
            why = f"{why} ({basis})"
        said.append(
            KeptWords(
                title=f"{words.record(item.record)} {item.key}",
                until=t(N_("kept until %(day)s"), day=day(item.until, lang)) if item.until else "",
                what=what,
                why=why,
            )
        )
    return said


def erasure_in_words(
    result: ErasureResult, policy: Policy, *, reference: str, lang: str
) -> ErasureWords:
    """What the person is told after the erasure ``result`` of request ``reference``."""
    request_rule = _request_rule(policy)
    names = {
        key: recipient.label.in_(lang)
        for rule in policy.disclosure.values()
        for key, recipient in rule.recipients.items()
    }
    recipients = [str(sent["recipient"]) for sent in result.recipients]
    return ErasureWords(
        day=day(result.as_of, lang),
        reference=reference,
        kept=kept_in_words(result.kept, lang),
        request_rule=request_rule.label.in_(lang) if request_rule else None,
        request_months=request_rule.months if request_rule else 0,
        recipients=[names.get(key, key) for key in dict.fromkeys(recipients)],
        accountability=result.as_json()["accountability"][lang],
    )


def _basis(value: str, t: Translate) -> str:
    """A legal basis in words (« obligation légale »); an unknown code as it is."""
    try:
        return t(LEGAL_BASES[LegalBasis(value)])
    except ValueError:
        return value


def _request_rule(policy: Policy) -> RetentionRule | None:
    """The rule that keeps the request itself as proof, for the person to be told."""
    for rule in policy.retention.values():
        if rule.record == "subject_request":
            return rule
    return None

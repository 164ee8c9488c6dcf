"""The retention clocks: the dates from which a retention period runs, per kind of record.

A policy names a clock per rule (``record: learner``, ``clock: last_activity``); the store
knows how to read each one in SQL, the notice how to say it in French and English. A clock's
reading is the day the period runs from; for an invoice that is not a column but the close of
its financial year (:mod:`gardien.domain.financial_year`), which the store computes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetentionClock:
    """A named date of a kind of record, from which a retention period is counted."""

    record: str
    name: str
    fr: str
    en: str
    # True when the reading depends on the policy's financial year end: the notice and the
    # register then name that day.
    financial_year: bool = False


_CLOCKS = (
    RetentionClock(
        "learner", "last_activity", "après la dernière activité", "after the last activity"
    ),
    RetentionClock(
        "commercial_contact",
        "last_contract_end",
        "après la fin du dernier contrat",
        "after the last contract ends",
    ),
    RetentionClock("outbox_message", "created", "après sa création", "after it is created"),
    RetentionClock(
        "sponsor",
        "last_contract_end",
        "après la fin du dernier contrat",
        "after the last contract ends",
    ),
    RetentionClock(
        "sponsor_contact",
        "last_contract_end",
        "après la fin du dernier contrat du commanditaire",
        "after the sponsor's last contract ends",
    ),
    # The accounting duty runs from the close of the financial year, not from the invoice's
    # date (Code de commerce, art. L123-22); the year end is the policy's.
    RetentionClock(
        "invoice",
        "financial_year_close",
        "à compter de la clôture de l'exercice comptable au cours duquel la facture a été émise",
        "from the close of the financial year in which the invoice was issued",
        financial_year=True,
    ),
    RetentionClock(
        "opco_dossier", "training_end", "après la fin de la formation", "after the training ends"
    ),
    RetentionClock(
        "newsletter_subscription",
        "unsubscribed",
        "après la désinscription",
        "after unsubscription",
    ),
    RetentionClock(
        "newsletter_subscription",
        "unconfirmed",
        "après l'inscription, faute de confirmation",
        "after subscribing, unless confirmed",
    ),
    RetentionClock(
        "contact_message", "last_exchange", "après le dernier échange", "after the last exchange"
    ),
    # Documents about someone who is no learner; a learner's go with the learner.
    RetentionClock(
        "xapi_document",
        "last_change",
        "après sa dernière modification",
        "after it last changed",
    ),
    # Only while the statement is no learner's: once linked, it lives by the learner's clock.
    RetentionClock(
        "activity_statement",
        "unlinked",
        "après la réception, tant qu'aucun apprenant n'y est rattaché",
        "after it is received, as long as no learner is linked to it",
    ),
    RetentionClock("disclosure", "recorded", "après la transmission", "after the transmission"),
    RetentionClock(
        "account",
        "last_sign_in",
        "après la dernière connexion",
        "after the last sign-in",
    ),
    RetentionClock(
        "web_session", "expired", "après la fin de la session", "after the session ends"
    ),
    RetentionClock(
        "subject_request", "closed", "après la clôture de la demande", "after the request is closed"
    ),
    RetentionClock("audit_entry", "recorded", "après l'enregistrement", "after it is recorded"),
    RetentionClock(
        "throttle_counter",
        "lapsed",
        "après la fin du décompte et de toute attente",
        "after the count and any wait end",
    ),
)

RETENTION_CLOCKS: dict[tuple[str, str], RetentionClock] = {
    (clock.record, clock.name): clock for clock in _CLOCKS
}


def clocks_of(record: str) -> list[str]:
    """Names of the clocks a record kind offers, for error messages."""
    return sorted(name for (rec, name) in RETENTION_CLOCKS if rec == record)

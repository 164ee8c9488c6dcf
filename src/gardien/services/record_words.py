"""What a person calls the records and fields held about them, in their language.

« Mes données » (``web/data_labels.py``), the page shown after an erasure and the e-mail that
follows it (``services/erasure_words.py``) name records and fields with these labels: one
list, translated through the gettext catalogue (the msgids are English), so the page and the
e-mail cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from gardien.i18n import translations
from gardien.i18n.dates import format_day, local_day
from gardien.services.notice.phrases import FIELDS

__all__ = [
    "FIELD_LABELS",
    "NO_VALUE",
    "N_",
    "RECORDS",
    "RECORD_FIELDS",
    "RecordWords",
    "Translate",
    "day",
    "translator",
]

# ``t(msgid, **values)``: the message in a language, with its placeholders filled in.
Translate = Callable[..., str]


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues; it is translated where it is shown."""
    return message


RECORDS = {
    "learner": N_("Learner account"),
    "account": N_("Sign-in account"),
    "enrolment": N_("Enrolment"),
    "module_progress": N_("Progress in a module"),
    "activity_statement": N_("Learning trace"),
    "xapi_attachment": N_("Attachment to a learning trace"),
    "contract_learner": N_("Contract"),
    "cpf_dossier": N_("CPF dossier"),
    "opco_dossier": N_("OPCO dossier"),
    "invoice": N_("Invoice"),
    "commercial_contact": N_("Commercial contact"),
    "sponsor": N_("Sponsor"),
    "sponsor_contact": N_("Sponsor's contact"),
    "newsletter_subscription": N_("Newsletter subscription"),
    "contact_message": N_("Contact-form message"),
    "outbox_message": N_("E-mail sent"),
    "subject_request": N_("Your request"),
}
# How a person reads the fields of their records: by record.field first, then by name.
RECORD_FIELDS = {
    "enrolment.path": N_("learning path"),
    "enrolment.contract": N_("contract"),
    "enrolment.enrolled_at": N_("enrolled on"),
    "enrolment.status": N_("status"),
    "enrolment.progress": N_("progress"),
    "enrolment.completed_at": N_("completed on"),
    "module_progress.enrolment": N_("learning path"),
    "module_progress.module": N_("module"),
    "module_progress.status": N_("status"),
    "module_progress.score_scaled": N_("score"),
    "module_progress.updated_at": N_("last updated"),
    "account.sponsor_contact": N_("sponsor's contact"),
    "contract_learner.contract": N_("contract reference"),
    "cpf_dossier.contract": N_("contract"),
    "cpf_dossier.updated_at": N_("last updated"),
    "opco_dossier.contract": N_("contract"),
    "invoice.issued_on": N_("issued on"),
    "invoice.total_cents": N_("total amount"),
    "invoice.billing_name": N_("billed to"),
    "invoice.billing_address": N_("billing address"),
    "invoice.billing_email": N_("billing e-mail address"),
    "commercial_contact.contract_reference": N_("last contract"),
    "commercial_contact.last_contract_end": N_("end of the last contract"),
    "sponsor.address": N_("postal address"),
    "sponsor_contact.sponsor": N_("organisation"),
    "sponsor_contact.phone": N_("telephone"),
    "newsletter_subscription.consent_at": N_("consent given on"),
    "newsletter_subscription.consent_source": N_("consent given through"),
    "newsletter_subscription.consent_wording": N_("wording you agreed to"),
    "newsletter_subscription.confirmed_at": N_("confirmed on"),
    "newsletter_subscription.unsubscribed_at": N_("unsubscribed on"),
    "contact_message.last_exchange_at": N_("last exchange"),
    "outbox_message.recipient": N_("sent to"),
    "outbox_message.body": N_("text"),
    "outbox_message.sent_at": N_("sent on"),
    "subject_request.received_at": N_("received on"),
    "subject_request.due_on": N_("answer due by"),
    "subject_request.extended_to": N_("deadline extended to"),
    "subject_request.extension_reason": N_("reason for the extension"),
    "subject_request.closed_at": N_("closed on"),
    "xapi_attachment.content_type": N_("file type"),
    "xapi_attachment.statement": N_("learning trace"),
}
FIELD_LABELS = {
    "email": N_("e-mail address"),
    "given_name": N_("given name"),
    "family_name": N_("family name"),
    "created_at": N_("created on"),
    "last_activity_at": N_("last activity"),
    "password_set": N_("password set"),
    "second_factor_set": N_("second factor set"),
    "second_factor_being_set_up": N_("second factor being set up"),
    "recovery_codes_set": N_("recovery codes set"),
    "role": N_("role"),
    "activated_at": N_("opened on"),
    "password_changed_at": N_("password changed on"),
    "last_sign_in_at": N_("last sign-in"),
    "deactivated_at": N_("deactivated on"),
    "status": N_("status"),
    "message": N_("message"),
    "name": N_("name"),
    "subject": N_("subject"),
    "kind": N_("kind"),
    "reference": N_("reference"),
}
NO_VALUE = "—"
_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")


def translator(lang: str) -> Translate:
    """``t(msgid, **values)`` in ``lang``, from the gettext catalogue the pages use too."""
    catalogue = translations(lang)

    def t(message: str, **values: Any) -> str:
        text = catalogue.gettext(message)
        return text % values if values else text

    return t


def day(value: str | date | None, lang: str) -> str:
    """A date, or the day of an instant in France, as people write it in ``lang``."""
    if value is None:
        return NO_VALUE
    if isinstance(value, datetime):
        return format_day(local_day(value), lang)
    if isinstance(value, str) and _INSTANT.match(value):
        try:
            return format_day(local_day(datetime.fromisoformat(value)), lang)
        except ValueError:
            return value
    return format_day(value, lang)


class RecordWords:
    """Records and their fields by the names a person reads, in ``lang``, through ``t``."""

    def __init__(self, t: Translate, lang: str) -> None:
        self.t = t
        self.lang = lang

    def record(self, name: str) -> str:
        """A kind of record (``opco_dossier``) as a person names it (« Dossier OPCO »)."""
        known = RECORDS.get(name)
        return self.t(known) if known else name.replace("_", " ")

    def label(self, record: str, name: str) -> str:
        """A field's name as a person reads it; its column name made readable as a last resort."""
        dotted = f"{record}.{name}"
        known = RECORD_FIELDS.get(dotted) or FIELDS.get(dotted) or FIELD_LABELS.get(name)
        text = self.t(known) if known else name.replace("_", " ")
        return text[:1].upper() + text[1:]

"""What the people's export calls each record, field and coded value, in the person's words.

The JSON export names things as the database does (``enrolled_at``, ``in_progress``); the CSV
files of the zip download and their README are for people, so every column and every coded
value they show is one of these labels, translated through the gettext catalogue (the msgids
are English). A column with no label here still gets a readable heading (its name in words),
and ``tests/unit/test_export_labels.py`` fails on any exportable column left without one.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "DROPPED",
    "RECORDS",
    "VALUES",
    "VERBS",
    "field_label",
    "value_label",
]


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues; it is translated where it is written."""
    return message


# A record kind in words: the tail of a file's name when a category holds several kinds.
RECORDS: dict[str, str] = {
    "learner": N_("Learner"),
    "account": N_("Account"),
    "enrolment": N_("Enrolments"),
    "module_progress": N_("Modules"),
    "contract_learner": N_("Contracts"),
    "cpf_dossier": N_("CPF dossiers"),
    "opco_dossier": N_("OPCO dossiers"),
    "invoice": N_("Invoices"),
    "sponsor": N_("Sponsor"),
    "sponsor_contact": N_("Sponsor's contact"),
    "newsletter_subscription": N_("Subscription"),
    "contact_message": N_("Messages"),
    "outbox_message": N_("E-mails"),
    "commercial_contact": N_("Commercial contact"),
    "subject_request": N_("Requests"),
    "activity_statement": N_("Learning activity"),
    "xapi_attachment": N_("Attachments"),
    "xapi_document": N_("Documents"),
}

# Column headings by field name; a record's own wording first (``_BY_RECORD``).
_FIELDS: dict[str, str] = {
    # identity, account
    "pseudonym": N_("Pseudonym"),
    "email": N_("E-mail address"),
    "mbox_sha1sum": N_("Fingerprint of the address (xAPI)"),
    "given_name": N_("Given name"),
    "family_name": N_("Family name"),
    "created_at": N_("Created on"),
    "last_activity_at": N_("Last activity"),
    "role": N_("Role"),
    "sponsor_contact": N_("Sponsor's contact"),
    "password_set": N_("Password set"),
    "second_factor_set": N_("Second factor set"),
    "second_factor_being_set_up": N_("Second factor being set up"),
    "recovery_codes_set": N_("Recovery codes set"),
    "activated_at": N_("Activated on"),
    "password_changed_at": N_("Password changed on"),
    "last_sign_in_at": N_("Last sign-in"),
    "deactivated_at": N_("Deactivated on"),
    # learning
    "path": N_("Learning path"),
    "path_title": N_("Title of the path"),
    "module": N_("Module"),
    "enrolment": N_("Learning path"),
    "module_title": N_("Title of the module"),
    "contract": N_("Contract"),
    "enrolled_at": N_("Enrolled on"),
    "status": N_("Status"),
    "progress": N_("Progress"),
    "completed_at": N_("Completed on"),
    "score_scaled": N_("Score"),
    "updated_at": N_("Last updated"),
    # contracts and funding
    "signed_on": N_("Signed on"),
    "starts_on": N_("Start"),
    "ends_on": N_("End"),
    "funding_type": N_("Funding"),
    "sponsor_kind": N_("Kind of sponsor"),
    "sponsor_name": N_("Sponsor"),
    "edof_number": N_("EDOF dossier number"),
    "entry_date": N_("Entry into training"),
    "exit_date": N_("Exit from training"),
    "completion_rate": N_("Completion rate"),
    "exit_reason": N_("Reason for exit"),
    "certification_result": N_("Certification result"),
    "trainee_name": N_("Trainee's name"),
    "training_start": N_("Start of training"),
    "training_end": N_("End of training"),
    "duration_hours": N_("Duration in hours"),
    "certificate_ref": N_("Certificate reference"),
    "attendance_summary": N_("Attendance"),
    "agreement_reference": N_("Funding agreement reference"),
    "opco_name": N_("OPCO"),
    "employer_name": N_("Employer"),
    "training_title": N_("Training"),
    # billing, sponsors
    "billing_name": N_("Billed to"),
    "billing_address": N_("Billing address"),
    "billing_email": N_("Billing e-mail address"),
    "number": N_("Number"),
    "issued_on": N_("Issued on"),
    "currency": N_("Currency"),
    "amount_excl_tax_cents": N_("Amount excluding tax"),
    "tax_cents": N_("Tax"),
    "total_cents": N_("Total"),
    "corrects_number": N_("Corrects invoice"),
    "kind": N_("Kind"),
    "name": N_("Name"),
    "address": N_("Postal address"),
    "phone": N_("Telephone"),
    "sponsor": N_("Sponsor"),
    "ref": N_("Reference"),
    "siret": N_("SIRET number"),
    # website
    "consent_at": N_("Consent given on"),
    "consent_source": N_("Where consent was given"),
    "consent_notice_version": N_("Version of the notice then"),
    "consent_wording": N_("Wording agreed to"),
    "confirmed_at": N_("Confirmed on"),
    "unsubscribed_at": N_("Unsubscribed on"),
    "message": N_("Message"),
    "received_at": N_("Received on"),
    "last_exchange_at": N_("Last exchange"),
    "lang": N_("Language"),
    "answered_at": N_("Answered on"),
    "reply": N_("Our reply"),
    "replied_at": N_("Replied on"),
    # e-mails
    "recipient": N_("Recipient"),
    "subject": N_("Subject"),
    "body": N_("Text of the e-mail"),
    "headers": N_("E-mail headers"),
    "sent_at": N_("Sent on"),
    # commercial contact, requests
    "contract_reference": N_("Contract reference"),
    "last_contract_end": N_("End of the last contract"),
    "reference": N_("Reference"),
    "identity_check": N_("Identity checked by"),
    "due_on": N_("Answer due on"),
    "extended_to": N_("Extended to"),
    "extension_reason": N_("Reason for the extension"),
    "details": N_("What was asked"),
    "outcome": N_("Outcome"),
    "closed_at": N_("Closed on"),
    # learning activity (xAPI)
    "statement_id": N_("Statement identifier"),
    "verb": N_("Action"),
    "object_id": N_("Activity"),
    "result_success": N_("Succeeded"),
    "result_completion": N_("Finished"),
    "result_score_scaled": N_("Score"),
    "timestamp": N_("Date"),
    "stored_at": N_("Received on"),
    "registration": N_("Registration"),
    "client": N_("Sent by"),
    "voided": N_("Cancelled by the platform"),
    "statement": N_("Statement"),
    "sha2": N_("Fingerprint sent by the platform"),
    "sha256": N_("SHA-256 fingerprint"),
    "content_type": N_("Type of content"),
    "length": N_("Size in bytes"),
    "activity_id": N_("Activity"),
    "document_id": N_("Document"),
    "content": N_("Content"),
    "etag": N_("Version tag"),
    # inside nested values
    "connections": N_("Connections"),
    "format": N_("Format"),
    "delivered": N_("Delivered"),
    "fields": N_("Fields"),
    "rectified": N_("Fields corrected"),
}

_BY_RECORD: dict[tuple[str, str], str] = {
    ("account", "role"): N_("Kind of account"),
    ("account", "created_at"): N_("Account created on"),
    ("invoice", "kind"): N_("Document"),
    ("invoice", "contract"): N_("Contract"),
    ("sponsor", "kind"): N_("Kind of sponsor"),
    ("sponsor_contact", "role"): N_("Position"),
    ("outbox_message", "kind"): N_("Kind of e-mail"),
    ("outbox_message", "created_at"): N_("Written on"),
    ("subject_request", "kind"): N_("Request"),
    ("contract_learner", "path"): N_("Learning path"),
    ("contract_learner", "ends_on"): N_("End of contract"),
    ("contract_learner", "starts_on"): N_("Start of contract"),
    ("newsletter_subscription", "created_at"): N_("Subscribed on"),
}

# Shown in export.json only: the statement as the platform sent it (its parts are columns),
# an e-mail's HTML copy of its text, and bookkeeping of no meaning to the person.
DROPPED: frozenset[tuple[str, str]] = frozenset(
    {
        ("activity_statement", "raw"),
        ("account", "totp_last_step"),
        ("account", "invitation_nonce"),
        ("outbox_message", "html_body"),
        ("outbox_message", "dedupe_key"),
        ("outbox_message", "attempts"),
        ("outbox_message", "last_error"),
        ("outbox_message", "send_after"),
        ("sponsor", "retention_clock"),
        ("sponsor", "anonymised_at"),
        ("subject_request", "verification_sha256"),
        ("xapi_document", "key_sha256"),
    }
)

# Coded values in words, by field name.
VALUES: dict[str, dict[str, str]] = {
    "status": {
        # enrolments and modules
        "enrolled": N_("enrolled"),
        "in_progress": N_("in progress"),
        "completed": N_("completed"),
        "withdrawn": N_("withdrawn"),
        "attempted": N_("attempted"),
        "passed": N_("passed"),
        "failed": N_("failed"),
        # CPF dossiers
        "accepted": N_("accepted"),
        "in_training": N_("in training"),
        "terminated": N_("training ended"),
        "service_declared": N_("service declared"),
        "service_validated": N_("service validated"),
        "cancelled": N_("cancelled"),
        "refused": N_("refused"),
        # newsletter, requests
        "pending": N_("awaiting confirmation"),
        "confirmed": N_("confirmed"),
        "unsubscribed": N_("unsubscribed"),
        "open": N_("open"),
        "extended": N_("extended"),
    },
    "role": {
        "learner": N_("learner"),
        "sponsor_contact": N_("sponsor's contact"),
        "dpo": N_("data protection officer"),
        "admin": N_("administrator"),
    },
    "kind": {
        "invoice": N_("invoice"),
        "credit_note": N_("credit note"),
        "organisation": N_("organisation"),
        "individual": N_("individual"),
        "access": N_("access to my data"),
        "portability": N_("copy of my data"),
        "rectification": N_("correction"),
        "erasure": N_("erasure"),
        "objection": N_("objection"),
        "inactivity_warning": N_("notice before erasure for inactivity"),
        "newsletter_confirmation": N_("newsletter confirmation"),
        "newsletter": N_("newsletter"),
        "account_invitation": N_("account invitation"),
        "password_reset": N_("password reset"),
        "request_extended": N_("request extended"),
        "request_closed": N_("request answered"),
        "request_verify": N_("request confirmation link"),
        "request_filed": N_("request received"),
        "contact_reply": N_("reply to your message"),
    },
    "funding_type": {
        "online_payment": N_("online payment"),
        "cpf": N_("CPF funding"),
        "opco": N_("OPCO funding"),
        "employer_plan": N_("an employer's training plan"),
        "school_plan": N_("a school's training plan"),
    },
    "consent_source": {
        "site_footer_form": N_("the form at the foot of the website"),
        "contact_form_checkbox": N_("the box of the contact form"),
        "learner_portal": N_("the learner's space"),
    },
    "identity_check": {
        "session": N_("signing in"),
        "email_link": N_("a link sent by e-mail"),
    },
}
VALUES["sponsor_kind"] = {key: VALUES["kind"][key] for key in ("organisation", "individual")}

# xAPI verbs by the last part of their IRI (ADL's vocabulary and the like).
VERBS: dict[str, str] = {
    "launched": N_("launched"),
    "initialized": N_("started"),
    "attempted": N_("attempted"),
    "experienced": N_("viewed"),
    "progressed": N_("progressed in"),
    "completed": N_("completed"),
    "passed": N_("passed"),
    "failed": N_("failed"),
    "answered": N_("answered"),
    "interacted": N_("interacted with"),
    "scored": N_("was scored on"),
    "suspended": N_("paused"),
    "resumed": N_("resumed"),
    "terminated": N_("left"),
    "commented": N_("commented on"),
    "asked": N_("asked about"),
    "registered": N_("registered for"),
    "voided": N_("cancelled a statement"),
}


def field_label(record: str, name: str, gettext: Callable[[str], str]) -> str:
    """The heading of ``record``'s field ``name``, in the language of ``gettext``."""
    message = _BY_RECORD.get((record, name)) or _FIELDS.get(name)
    if message is None:
        return name.replace("_", " ").capitalize()  # never the bare name
    return gettext(message)


def known_field(name: str) -> bool:
    """Whether ``name`` is a field this module labels (for lists of field names)."""
    return name in _FIELDS


def value_label(name: str, value: str, gettext: Callable[[str], str]) -> str | None:
    """The coded ``value`` of field ``name`` in words, or None when it is not a code."""
    message = VALUES.get(name, {}).get(value)
    return gettext(message) if message is not None else None

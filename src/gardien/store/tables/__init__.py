"""All tables of gardien, grouped by area; importing this package registers them all."""

from gardien.store.metadata import metadata
from gardien.store.tables.accountability import (
    audit_entry,
    audit_head,
    erasure_applied,
    erasure_lineage,
)
from gardien.store.tables.accounts import account, export_link, subject_request, web_session
from gardien.store.tables.commerce import (
    commercial_contact,
    contract,
    contract_learner,
    invoice,
    sponsor,
    sponsor_contact,
)
from gardien.store.tables.disclosure import disclosure, disclosure_subject
from gardien.store.tables.funding import cpf_dossier, opco_dossier
from gardien.store.tables.learning import (
    activity_count,
    activity_statement,
    enrolment,
    learner,
    learning_module,
    learning_path,
    module_progress,
    statement_agent,
)
from gardien.store.tables.mail import outbox_message
from gardien.store.tables.throttle import throttle_counter
from gardien.store.tables.website import contact_message, newsletter_subscription
from gardien.store.tables.xapi import xapi_client
from gardien.store.tables.xapi_attachments import xapi_attachment, xapi_blob
from gardien.store.tables.xapi_documents import xapi_activity, xapi_activity_profile, xapi_document

__all__ = [
    "account",
    "activity_count",
    "activity_statement",
    "audit_entry",
    "audit_head",
    "commercial_contact",
    "contact_message",
    "contract",
    "contract_learner",
    "cpf_dossier",
    "disclosure",
    "disclosure_subject",
    "enrolment",
    "erasure_applied",
    "erasure_lineage",
    "export_link",
    "invoice",
    "learner",
    "learning_module",
    "learning_path",
    "metadata",
    "module_progress",
    "newsletter_subscription",
    "opco_dossier",
    "outbox_message",
    "sponsor",
    "sponsor_contact",
    "statement_agent",
    "subject_request",
    "throttle_counter",
    "web_session",
    "xapi_activity",
    "xapi_activity_profile",
    "xapi_attachment",
    "xapi_blob",
    "xapi_client",
    "xapi_document",
]

"""The xAPI document resources and canonical activities (docs/xapi.md, "Documents").

``xapi_document`` holds State and Agent Profile documents: documents about a person. The agent
is never stored as sent: ``agent_name`` is the pseudonym it is stored under (a learner's own,
or the keyed pseudonym of anyone else, ``domain/xapi/pseudonyms.py``); a document about a known
learner also points at the learner, and lives and goes with them. The others are kept by the
policy's own rule for them (``unlinked_documents``), counted from their last change.

``xapi_activity_profile`` holds documents about an activity, and ``xapi_activity`` the
canonical definition of each activity statements named: course content, about no person.

A document is found by ``key_sha256``, the SHA-256 of the values that name it (resource,
activity, pseudonym, registration, id): one short unique index whatever the length of an
activity IRI or a document id (``xapi_activity`` likewise, by its IRI).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, LargeBinary, String, Table

from gardien.store.classify import SURROGATE, keyed_lookup, not_personal, personal
from gardien.store.metadata import metadata
from gardien.store.types import UTCDateTime, json_document

ACTIVITY_CONTENT = not_personal("about an activity, no person")
# The longest IRI or document id accepted (domain/xapi/documents.py).
ID_LENGTH = 2048

xapi_document = Table(
    "xapi_document",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("key_sha256", String(64), nullable=False, unique=True, info=personal("activity")),
    # "state" or "agent_profile".
    Column("kind", String(16), nullable=False, info=not_personal("resource name")),
    # The pseudonym the document's agent is stored under: how requests and the person's export
    # and erasure find it (a learner's pseudonym, or a keyed one that means nothing to them).
    Column("agent_name", String(255), nullable=False, index=True, info=keyed_lookup("activity")),
    Column("activity_id", String(ID_LENGTH), nullable=True, info=personal("activity")),
    Column("registration", String(36), nullable=True, info=personal("activity")),
    Column("document_id", String(ID_LENGTH), nullable=False, info=personal("activity")),
    Column("content", LargeBinary(), nullable=False, info=personal("activity")),
    Column("content_type", String(255), nullable=False, info=not_personal("media type")),
    Column("etag", String(40), nullable=False, info=personal("activity")),
    # The clock of the unlinked_documents rule; "since" in a list of ids.
    Column("updated_at", UTCDateTime(), nullable=False, index=True, info=personal("activity")),
    Column(
        "learner_id",
        ForeignKey("learner.id"),
        nullable=True,
        index=True,
        info=personal("activity"),
    ),
)

xapi_activity_profile = Table(
    "xapi_activity_profile",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("key_sha256", String(64), nullable=False, unique=True, info=ACTIVITY_CONTENT),
    Column("activity_id", String(ID_LENGTH), nullable=False, info=ACTIVITY_CONTENT),
    Column("document_id", String(ID_LENGTH), nullable=False, info=ACTIVITY_CONTENT),
    Column("content", LargeBinary(), nullable=False, info=ACTIVITY_CONTENT),
    Column("content_type", String(255), nullable=False, info=ACTIVITY_CONTENT),
    Column("etag", String(40), nullable=False, info=ACTIVITY_CONTENT),
    Column("updated_at", UTCDateTime(), nullable=False, info=ACTIVITY_CONTENT),
)

xapi_activity = Table(
    "xapi_activity",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    # SHA-256 of the IRI: a unique index an IRI of any length fits in.
    Column("key_sha256", String(64), nullable=False, unique=True, info=ACTIVITY_CONTENT),
    Column("activity_id", String(ID_LENGTH), nullable=False, info=ACTIVITY_CONTENT),
    Column("definition", json_document(), nullable=True, info=ACTIVITY_CONTENT),
)

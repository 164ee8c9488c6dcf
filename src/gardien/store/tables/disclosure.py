"""The disclosure log: every transmission of personal data to a sponsor or a funding body.

One ``disclosure`` row per transmission (recipient, legal basis, the fields sent, the SHA-256 of
the payload, who triggered it) and one ``disclosure_subject`` row per person in it, by
pseudonym, so that a person's export lists who received what and when (GDPR art. 15(1)(c)).
Kept under the ``disclosure_log`` rule; a person's erasure leaves their pseudonym here, linked
to nothing any more (see docs/disclosure.md).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text

from gardien.store.classify import SURROGATE, lookup_column, not_personal, personal
from gardien.store.metadata import metadata
from gardien.store.types import UTCDateTime

ACCOUNTABILITY = personal("accountability")

disclosure = Table(
    "disclosure",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    # Clock of the disclosure-log rule.
    Column("transmitted_at", UTCDateTime(), nullable=False, index=True, info=ACCOUNTABILITY),
    Column("contract_reference", String(64), nullable=False, index=True, info=ACCOUNTABILITY),
    Column("funding_type", String(20), nullable=False, info=not_personal("funding type")),
    Column("recipient", String(64), nullable=False, info=not_personal("recipient id")),
    Column("legal_basis", String(40), nullable=False, info=not_personal("legal basis")),
    # JSON list of the dotted fields sent (``learner.family_name``, ...), as the policy names them.
    Column("fields", Text, nullable=False, info=not_personal("field names")),
    Column("payload_format", String(10), nullable=False, info=not_personal("csv or json")),
    Column("payload_sha256", String(64), nullable=False, info=not_personal("digest")),
    Column("subjects", Integer, nullable=False, info=not_personal("count")),
    Column("actor", String(100), nullable=False, info=ACCOUNTABILITY),
)

disclosure_subject = Table(
    "disclosure_subject",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column(
        "disclosure_id",
        ForeignKey("disclosure.id"),
        nullable=False,
        index=True,
        info=not_personal("link to the transmission"),
    ),
    Column("pseudonym", String(36), nullable=False, index=True, info=ACCOUNTABILITY),
    # Written when the learner goes, so that the person still learns who received what.
    lookup_column("accountability"),
)

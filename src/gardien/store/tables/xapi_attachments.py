"""xAPI attachments: which statement carries which content, and the content kept.

The content itself lives in the blob store (``store/blobs.py``), named by its SHA-256. Here:

- ``xapi_blob``: one row per blob the store holds. An attachment row points at it by foreign
  key, which is what makes deleting a blob safe against a request adding a new use of it at
  the same moment: the database orders the two (``store/xapi_attachments.py``).
- ``xapi_attachment``: one row per statement and attachment content. It goes with its
  statement (``ON DELETE CASCADE``: whatever deletes statements, an erasure, a sweep, takes
  their attachment rows along in the same transaction); the blob goes when no row uses it.

Attachment content is whatever the client sent (a certificate, a recording): personal data of
the ``activity`` category, like the statement it belongs to, kept and erased with it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table, UniqueConstraint

from gardien.store.classify import SURROGATE, personal
from gardien.store.metadata import metadata
from gardien.store.types import UTCDateTime

ACTIVITY = personal("activity")

xapi_blob = Table(
    "xapi_blob",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    # The blob's name in the store: SHA-256 of the content, 64 lower-case hex digits.
    Column("sha256", String(64), nullable=False, unique=True, info=ACTIVITY),
    Column("length", BigInteger, nullable=False, info=ACTIVITY),
    Column("stored_at", UTCDateTime(), nullable=False, info=ACTIVITY),
)

xapi_attachment = Table(
    "xapi_attachment",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column(
        "statement_id",
        ForeignKey("activity_statement.statement_id", ondelete="CASCADE"),
        nullable=False,
        info=ACTIVITY,
    ),
    # The hash the statement declares (``sha2``: SHA-224 to SHA-512, in the case it was sent)
    # and answers with in ``X-Experience-API-Hash``.
    Column("sha2", String(128), nullable=False, info=ACTIVITY),
    Column("sha256", ForeignKey("xapi_blob.sha256"), nullable=False, index=True, info=ACTIVITY),
    Column("content_type", String(255), nullable=False, info=ACTIVITY),
    UniqueConstraint("statement_id", "sha2"),
)

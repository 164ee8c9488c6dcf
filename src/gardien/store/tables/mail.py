"""The outbox: e-mails queued in the same transaction as what causes them, sent later.

Queuing is one insert; a sender (the website issue adds SMTP) sends and marks them, retrying
with backoff. The dedupe key makes "one inactivity warning per clock cycle" a unique index.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from gardien.store.classify import SURROGATE, not_personal, personal
from gardien.store.metadata import lower_case, metadata
from gardien.store.types import UTCDateTime

MAIL = personal("correspondence")

outbox_message = Table(
    "outbox_message",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("dedupe_key", String(200), nullable=False, unique=True, info=MAIL),
    Column("kind", String(50), nullable=False, info=not_personal("kind of message")),
    Column("learner_id", ForeignKey("learner.id"), nullable=True, index=True, info=MAIL),
    Column("recipient", String(254), nullable=False, index=True, info=MAIL),
    Column("subject", String(300), nullable=False, info=MAIL),
    Column("body", Text, nullable=False, info=MAIL),
    # An HTML alternative of ``body`` (newsletters), and extra headers as a JSON object of
    # name -> value (``List-Unsubscribe`` and ``List-Unsubscribe-Post`` on every newsletter).
    Column("html_body", Text, nullable=True, info=MAIL),
    Column("headers", Text, nullable=True, info=MAIL),
    # Clock of the outbox rule.
    Column("created_at", UTCDateTime(), nullable=False, index=True, info=MAIL),
    Column("send_after", UTCDateTime(), nullable=False, info=not_personal("schedule")),
    Column("sent_at", UTCDateTime(), nullable=True, info=MAIL),
    Column("attempts", Integer, nullable=False, info=not_personal("delivery state")),
    Column("last_error", Text, nullable=True, info=not_personal("delivery state")),
    lower_case("recipient"),
    # The sender's query: unsent messages that are due.
    Index(None, "sent_at", "send_after"),
)

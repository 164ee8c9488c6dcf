"""The website's records: newsletter subscriptions with their consent proof, contact messages."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from gardien.store.classify import SURROGATE, personal
from gardien.store.metadata import lower_case, metadata
from gardien.store.types import UTCDateTime

NEWSLETTER = personal("newsletter")
MESSAGE = personal("contact_request")

newsletter_subscription = Table(
    "newsletter_subscription",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("email", String(254), nullable=False, unique=True, info=NEWSLETTER),
    Column("status", String(20), nullable=False, info=NEWSLETTER),
    Column("created_at", UTCDateTime(), nullable=False, info=NEWSLETTER),
    # Consent proof: when, from which form, which notice version, the exact wording agreed to.
    Column("consent_at", UTCDateTime(), nullable=False, info=NEWSLETTER),
    Column("consent_source", String(100), nullable=False, info=NEWSLETTER),
    Column("consent_notice_version", String(64), nullable=False, info=NEWSLETTER),
    Column("consent_wording", Text, nullable=False, info=NEWSLETTER),
    Column("confirmed_at", UTCDateTime(), nullable=True, info=NEWSLETTER),
    # Clock of the newsletter rule.
    Column("unsubscribed_at", UTCDateTime(), nullable=True, index=True, info=NEWSLETTER),
    CheckConstraint("status IN ('pending', 'confirmed', 'unsubscribed')", name="status"),
    # The unsubscription date is the retention clock: an unsubscribed row without it would
    # never be swept.
    CheckConstraint(
        "(status = 'unsubscribed') = (unsubscribed_at IS NOT NULL)", name="unsubscribed_dated"
    ),
    lower_case("email"),
    # Clock of the unconfirmed-subscription rule: pending rows by creation.
    Index(None, "status", "created_at"),
)

contact_message = Table(
    "contact_message",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("name", String(200), nullable=False, info=MESSAGE),
    Column("email", String(254), nullable=False, index=True, info=MESSAGE),
    Column("message", Text, nullable=False, info=MESSAGE),
    Column("received_at", UTCDateTime(), nullable=False, info=MESSAGE),
    # Clock of the contact-message rule (18 months after the last exchange): the arrival,
    # then the reply sent from the console.
    Column("last_exchange_at", UTCDateTime(), nullable=False, index=True, info=MESSAGE),
    # The language of the page the message was sent from; unknown for imported messages.
    Column("lang", String(2), nullable=True, info=MESSAGE),
    # When the DPO marked it answered (by the reply below, or by other means).
    Column("answered_at", UTCDateTime(), nullable=True, info=MESSAGE),
    # The reply written in the console and sent by e-mail, and when.
    Column("reply", Text, nullable=True, info=MESSAGE),
    Column("replied_at", UTCDateTime(), nullable=True, info=MESSAGE),
    UniqueConstraint("email", "received_at"),
    CheckConstraint("(reply IS NULL) = (replied_at IS NULL)", name="reply_dated"),
    CheckConstraint("replied_at IS NULL OR answered_at IS NOT NULL", name="replied_answered"),
    lower_case("email"),
)

"""Accounts, their sessions, and the data-subject requests people file.

One ``account`` per e-mail address, whatever the role. A learner's account hangs on the
learner (erased with it); a sponsor contact's on the contact row; DPO and admin accounts stand
alone and expire by their own clock (last sign-in). Sessions are rows, so that signing out,
a password change or an erasure ends them on every web worker at once; the cookie holds a
random token whose SHA-256 finds the row.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from gardien.domain.vocabulary import REQUEST_KINDS
from gardien.store.classify import SURROGATE, not_personal, personal
from gardien.store.metadata import lower_case, metadata
from gardien.store.types import UTCDateTime, json_document

CREDENTIALS = personal("credentials")
REQUEST = personal("accountability")

ROLES = ("learner", "sponsor_contact", "dpo", "admin")
REQUEST_STATUSES = ("open", "extended", "completed", "refused")

account = Table(
    "account",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("email", String(254), nullable=False, unique=True, info=CREDENTIALS),
    Column("role", String(20), nullable=False, info=CREDENTIALS),
    Column(
        "learner_id",
        ForeignKey("learner.id", ondelete="CASCADE"),
        nullable=True,
        unique=True,
        info=CREDENTIALS,
    ),
    Column(
        "sponsor_contact_id",
        ForeignKey("sponsor_contact.id", ondelete="CASCADE"),
        nullable=True,
        index=True,
        info=CREDENTIALS,
    ),
    # Null until the invitation is accepted; never exported (the export says whether it is set).
    Column("password_hash", String(255), nullable=True, info=CREDENTIALS),
    # The TOTP secret of DPO and admin accounts, sealed with AES-GCM (services/accounts/
    # sealing.py: a database dump does not give the second factor), and the last time step
    # accepted (no replay).
    Column("totp_secret", String(200), nullable=True, info=CREDENTIALS),
    Column("totp_last_step", Integer, nullable=True, info=not_personal("replay guard")),
    # The secret being set up, sealed too: the page shows the same one until a first code
    # confirms it (a reload or a wrong code does not replace the key already scanned).
    Column("totp_pending", String(200), nullable=True, info=CREDENTIALS),
    # Keyed digests (HMAC-SHA-256) of the one-time recovery codes not used yet; null if none.
    Column("recovery_codes", json_document(), nullable=True, info=CREDENTIALS),
    Column("created_at", UTCDateTime(), nullable=False, info=CREDENTIALS),
    Column("activated_at", UTCDateTime(), nullable=True, info=CREDENTIALS),
    Column("password_changed_at", UTCDateTime(), nullable=True, info=CREDENTIALS),
    # Clock of the rule on accounts not tied to a learner (staff, sponsor contacts).
    Column("last_sign_in_at", UTCDateTime(), nullable=True, info=CREDENTIALS),
    # Drawn at random for each invitation sent: its link carries a fingerprint of it, so a new
    # invitation makes the previous link worthless (a clock could give two the same instant).
    Column(
        "invitation_nonce",
        String(32),
        nullable=True,
        info=not_personal("random value binding the latest invitation link"),
    ),
    # Set by an admin: the account cannot sign in, and its sessions ended when it was set.
    Column("deactivated_at", UTCDateTime(), nullable=True, info=CREDENTIALS),
    CheckConstraint(f"role IN {ROLES!r}", name="role"),
    CheckConstraint("(role = 'learner') = (learner_id IS NOT NULL)", name="learner_link"),
    CheckConstraint(
        "(role = 'sponsor_contact') = (sponsor_contact_id IS NOT NULL)", name="contact_link"
    ),
    lower_case("email"),
    Index(None, "role", "last_sign_in_at"),
)

web_session = Table(
    "web_session",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    # SHA-256 of the cookie's token: a stolen database does not give working cookies.
    Column(
        "token_sha256",
        String(64),
        nullable=False,
        unique=True,
        info=not_personal("digest of a random token"),
    ),
    Column(
        "account_id",
        ForeignKey("account.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
        info=CREDENTIALS,
    ),
    Column("created_at", UTCDateTime(), nullable=False, info=CREDENTIALS),
    Column("last_seen_at", UTCDateTime(), nullable=False, info=CREDENTIALS),
    # min(created + absolute timeout, last seen + idle timeout): the clock of the session rule.
    Column("expires_at", UTCDateTime(), nullable=False, index=True, info=CREDENTIALS),
    # False between the password and the second factor (DPO and admin).
    Column("second_factor_done", Boolean, nullable=False, info=not_personal("session state")),
)

subject_request = Table(
    "subject_request",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    # What the person quotes to follow their request: random, not guessable.
    Column("reference", String(32), nullable=False, unique=True, info=REQUEST),
    Column("kind", String(20), nullable=False, info=REQUEST),
    Column("email", String(254), nullable=False, index=True, info=REQUEST),
    # How the identity was checked: a signed-in session or a signed link sent to the address.
    Column("identity_check", String(20), nullable=False, info=REQUEST),
    Column("received_at", UTCDateTime(), nullable=False, info=REQUEST),
    Column("due_on", Date, nullable=False, info=REQUEST),
    Column("extended_to", Date, nullable=True, info=REQUEST),
    Column("extension_reason", Text, nullable=True, info=REQUEST),
    Column("status", String(20), nullable=False, index=True, info=REQUEST),
    # What was asked (fields to rectify, without their values) and what was done.
    Column("details", json_document(), nullable=False, info=REQUEST),
    Column("outcome", json_document(), nullable=True, info=REQUEST),
    # Clock of the subject-request rule.
    Column("closed_at", UTCDateTime(), nullable=True, index=True, info=REQUEST),
    # SHA-256 of the e-mail link that filed it: a link files one request, however often used.
    Column(
        "verification_sha256",
        String(64),
        nullable=True,
        unique=True,
        info=not_personal("digest of a one-time link"),
    ),
    CheckConstraint(f"kind IN {REQUEST_KINDS!r}", name="kind"),
    CheckConstraint(f"status IN {REQUEST_STATUSES!r}", name="status"),
    CheckConstraint("identity_check IN ('session', 'email_link')", name="identity_check"),
    CheckConstraint(
        "(status IN ('completed', 'refused')) = (closed_at IS NOT NULL)", name="closed_dated"
    ),
    CheckConstraint("(status = 'extended') <= (extended_to IS NOT NULL)", name="extension_dated"),
    lower_case("email"),
)

# A single-use link to download one's data, sent to someone who asked for access without an
# account (services/request_actions.py). The token is in the e-mail only: its SHA-256 finds
# the row. Goes with its request (the subject-request rule's ``with_records``).
export_link = Table(
    "export_link",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column(
        "request_id",
        ForeignKey("subject_request.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
        info=REQUEST,
    ),
    Column(
        "token_sha256",
        String(64),
        nullable=False,
        unique=True,
        info=not_personal("digest of a random token"),
    ),
    Column("created_at", UTCDateTime(), nullable=False, info=REQUEST),
    Column("expires_at", UTCDateTime(), nullable=False, info=REQUEST),
    # Set when the link is followed: it works once.
    Column("used_at", UTCDateTime(), nullable=True, info=REQUEST),
)

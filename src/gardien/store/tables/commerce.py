"""Sponsors (commanditaires) and their contacts, contracts and invoices.

An invoice keeps its own snapshot of the billing identity and has no link to a learner, so a
learner's erasure never touches it: it lives by its own 120-month clock.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from gardien.store.classify import SURROGATE, lookup_column, not_personal, personal
from gardien.store.metadata import lower_case, metadata
from gardien.store.types import UTCDateTime

BUSINESS = not_personal("business terms of a contract, about no person")
COMMERCIAL = personal("commercial_contact")

sponsor = Table(
    "sponsor",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("ref", String(64), nullable=False, unique=True, info=not_personal("business key")),
    Column("kind", String(20), nullable=False, info=not_personal("organisation or individual")),
    # For an individual sponsor these are a person's name, e-mail and address.
    Column("name", String(200), nullable=False, info=COMMERCIAL),
    Column("email", String(254), nullable=True, index=True, info=COMMERCIAL),
    Column("address", Text, nullable=True, info=COMMERCIAL),
    Column("siret", String(14), nullable=True, info=not_personal("company registration number")),
    Column("created_at", UTCDateTime(), nullable=False, info=not_personal("record keeping")),
    # Set when the sponsor rule anonymised the row: a sweep never processes it twice.
    Column("anonymised_at", UTCDateTime(), nullable=True, info=not_personal("processing state")),
    # The day the sponsor's retention counts from: its latest contract end, or its creation day
    # while it has no contract. Kept up to date by whatever writes contracts (the import), so
    # that a sweep finds expired sponsors through an index instead of reading them all.
    Column(
        "retention_clock",
        Date,
        nullable=True,
        index=True,
        info=not_personal("retention clock: latest contract end or creation day"),
    ),
    Index(None, "anonymised_at", "retention_clock"),
    CheckConstraint("kind IN ('organisation', 'individual')", name="kind"),
    lower_case("email"),
)

sponsor_contact = Table(
    "sponsor_contact",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("sponsor_id", ForeignKey("sponsor.id"), nullable=False, info=COMMERCIAL),
    Column("name", String(200), nullable=False, info=COMMERCIAL),
    Column("email", String(254), nullable=False, index=True, info=COMMERCIAL),
    Column("phone", String(40), nullable=True, info=COMMERCIAL),
    Column("role", String(100), nullable=True, info=COMMERCIAL),
    UniqueConstraint("sponsor_id", "email"),
    lower_case("email"),
)

contract = Table(
    "contract",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("reference", String(64), nullable=False, unique=True, info=BUSINESS),
    Column("funding_type", String(20), nullable=False, info=BUSINESS),
    Column("sponsor_id", ForeignKey("sponsor.id"), nullable=True, index=True, info=BUSINESS),
    Column("path_id", ForeignKey("learning_path.id"), nullable=True, info=BUSINESS),
    Column("signed_on", Date, nullable=False, info=BUSINESS),
    Column("starts_on", Date, nullable=False, info=BUSINESS),
    # Clock of the commercial-contact rules (18 months after the last contract).
    Column("ends_on", Date, nullable=False, index=True, info=BUSINESS),
    Column("amount_cents", Integer, nullable=True, info=BUSINESS),
    CheckConstraint(
        "funding_type IN ('online_payment', 'cpf', 'opco', 'employer_plan', 'school_plan')",
        name="funding_type",
    ),
    CheckConstraint("starts_on <= ends_on", name="dates_in_order"),
)

contract_learner = Table(
    "contract_learner",
    metadata,
    Column("contract_id", ForeignKey("contract.id"), nullable=False, info=personal("contract")),
    Column(
        "learner_id",
        ForeignKey("learner.id"),
        nullable=False,
        index=True,
        info=personal("contract"),
    ),
    PrimaryKeyConstraint("contract_id", "learner_id"),
)

invoice = Table(
    "invoice",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("number", String(64), nullable=False, unique=True, info=not_personal("business key")),
    Column("contract_id", ForeignKey("contract.id"), nullable=True, index=True, info=BUSINESS),
    # The invoice rule counts from the close of this date's financial year; its sweep is a
    # range on this index (store/retention/clocks.py).
    Column("issued_on", Date, nullable=False, index=True, info=not_personal("accounting date")),
    Column("currency", String(3), nullable=False, info=BUSINESS),
    Column("amount_excl_tax_cents", Integer, nullable=False, info=BUSINESS),
    Column("tax_cents", Integer, nullable=False, info=BUSINESS),
    Column("total_cents", Integer, nullable=False, info=BUSINESS),
    Column("billing_name", String(200), nullable=False, info=personal("billing")),
    Column("billing_address", Text, nullable=False, info=personal("billing")),
    Column("billing_email", String(254), nullable=True, index=True, info=personal("billing")),
    # Issued invoices never change (a trigger refuses any UPDATE, migration 0004): a correction
    # is a credit note, a row of its own that names the invoice it corrects.
    Column(
        "kind",
        String(20),
        nullable=False,
        server_default="invoice",
        info=not_personal("invoice or credit note"),
    ),
    Column("corrects_number", String(64), nullable=True, info=not_personal("business key")),
    # Written when the invoice outlives the person's other records (the only column an
    # UPDATE may touch, migration 0007).
    lookup_column("billing"),
    CheckConstraint("total_cents = amount_excl_tax_cents + tax_cents", name="total"),
    CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind"),
    CheckConstraint(
        "(kind = 'credit_note') = (corrects_number IS NOT NULL)", name="credit_note_corrects"
    ),
    lower_case("billing_email"),
)

commercial_contact = Table(
    "commercial_contact",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    # What the notice keeps of a former learner for commercial communication with the sponsor:
    # the e-mail and the reference of the last contract, nothing else.
    Column("email", String(254), nullable=False, unique=True, info=COMMERCIAL),
    Column("contract_reference", String(64), nullable=False, info=COMMERCIAL),
    # Clock of the commercial-contact rule (18 months after the last contract ends).
    Column("last_contract_end", Date, nullable=False, index=True, info=COMMERCIAL),
    Column("created_at", UTCDateTime(), nullable=False, info=not_personal("record keeping")),
    lookup_column("commercial_contact"),
    lower_case("email"),
)

"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 04:52:27.023358
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "activity_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.String(length=2048), nullable=False),
        sa.Column("verb", sa.String(length=255), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("statements", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_count")),
        sa.UniqueConstraint(
            "object_id", "verb", "month", name=op.f("uq_activity_count_object_id_verb_month")
        ),
    )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_entry_hash")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_entry_recorded_at"), ["recorded_at"], unique=False
        )

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("anchor_id", sa.Integer(), nullable=False),
        sa.Column("anchor_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "commercial_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("contract_reference", sa.String(length=64), nullable=False),
        sa.Column("last_contract_end", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "email = lower(email)", name=op.f("ck_commercial_contact_email_lower_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commercial_contact")),
        sa.UniqueConstraint("email", name=op.f("uq_commercial_contact_email")),
    )
    with op.batch_alter_table("commercial_contact", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commercial_contact_last_contract_end"),
            ["last_contract_end"],
            unique=False,
        )

    op.create_table(
        "contact_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_exchange_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "email = lower(email)", name=op.f("ck_contact_message_email_lower_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_message")),
        sa.UniqueConstraint(
            "email", "received_at", name=op.f("uq_contact_message_email_received_at")
        ),
    )
    with op.batch_alter_table("contact_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_message_email"), ["email"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_contact_message_last_exchange_at"), ["last_exchange_at"], unique=False
        )

    op.create_table(
        "learner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_learner_email_lower_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learner")),
        sa.UniqueConstraint("email", name=op.f("uq_learner_email")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_learner_pseudonym")),
    )
    with op.batch_alter_table("learner", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learner_last_activity_at"), ["last_activity_at"], unique=False
        )

    op.create_table(
        "learning_path",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_path")),
        sa.UniqueConstraint("code", name=op.f("uq_learning_path_code")),
    )
    op.create_table(
        "newsletter_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_source", sa.String(length=100), nullable=False),
        sa.Column("consent_notice_version", sa.String(length=64), nullable=False),
        sa.Column("consent_wording", sa.Text(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'unsubscribed') = (unsubscribed_at IS NOT NULL)",
            name=op.f("ck_newsletter_subscription_unsubscribed_dated"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'unsubscribed')",
            name=op.f("ck_newsletter_subscription_status"),
        ),
        sa.CheckConstraint(
            "email = lower(email)", name=op.f("ck_newsletter_subscription_email_lower_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_subscription")),
        sa.UniqueConstraint("email", name=op.f("uq_newsletter_subscription_email")),
    )
    with op.batch_alter_table("newsletter_subscription", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_newsletter_subscription_unsubscribed_at"),
            ["unsubscribed_at"],
            unique=False,
        )

    op.create_table(
        "sponsor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('organisation', 'individual')", name=op.f("ck_sponsor_kind")),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_sponsor_email_lower_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sponsor")),
        sa.UniqueConstraint("ref", name=op.f("uq_sponsor_ref")),
    )
    with op.batch_alter_table("sponsor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sponsor_email"), ["email"], unique=False)

    op.create_table(
        "activity_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("verb", sa.String(length=255), nullable=False),
        sa.Column("object_id", sa.String(length=2048), nullable=False),
        sa.Column("result_success", sa.Boolean(), nullable=True),
        sa.Column("result_completion", sa.Boolean(), nullable=True),
        sa.Column("result_score_scaled", sa.Float(), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learner.id"], name=op.f("fk_activity_statement_learner_id_learner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_statement")),
        sa.UniqueConstraint("statement_id", name=op.f("uq_activity_statement_statement_id")),
    )
    with op.batch_alter_table("activity_statement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activity_statement_learner_id_timestamp"),
            ["learner_id", "timestamp"],
            unique=False,
        )

    op.create_table(
        "contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("funding_type", sa.String(length=20), nullable=False),
        sa.Column("sponsor_id", sa.Integer(), nullable=True),
        sa.Column("path_id", sa.Integer(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "funding_type IN ('online_payment', 'cpf', 'opco', 'employer_plan', 'school_plan')",
            name=op.f("ck_contract_funding_type"),
        ),
        sa.CheckConstraint("starts_on <= ends_on", name=op.f("ck_contract_dates_in_order")),
        sa.ForeignKeyConstraint(
            ["path_id"], ["learning_path.id"], name=op.f("fk_contract_path_id_learning_path")
        ),
        sa.ForeignKeyConstraint(
            ["sponsor_id"], ["sponsor.id"], name=op.f("fk_contract_sponsor_id_sponsor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract")),
        sa.UniqueConstraint("reference", name=op.f("uq_contract_reference")),
    )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_ends_on"), ["ends_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_contract_sponsor_id"), ["sponsor_id"], unique=False)

    op.create_table(
        "learning_module",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["path_id"], ["learning_path.id"], name=op.f("fk_learning_module_path_id_learning_path")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_module")),
        sa.UniqueConstraint("path_id", "code", name=op.f("uq_learning_module_path_id_code")),
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("send_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "recipient = lower(recipient)", name=op.f("ck_outbox_message_recipient_lower_case")
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learner.id"], name=op.f("fk_outbox_message_learner_id_learner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_message_dedupe_key")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_message_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_message_learner_id"), ["learner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_message_recipient"), ["recipient"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_message_sent_at_send_after"),
            ["sent_at", "send_after"],
            unique=False,
        )

    op.create_table(
        "sponsor_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sponsor_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("role", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "email = lower(email)", name=op.f("ck_sponsor_contact_email_lower_case")
        ),
        sa.ForeignKeyConstraint(
            ["sponsor_id"], ["sponsor.id"], name=op.f("fk_sponsor_contact_sponsor_id_sponsor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sponsor_contact")),
        sa.UniqueConstraint(
            "sponsor_id", "email", name=op.f("uq_sponsor_contact_sponsor_id_email")
        ),
    )
    with op.batch_alter_table("sponsor_contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sponsor_contact_email"), ["email"], unique=False)

    op.create_table(
        "contract_learner",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_contract_learner_contract_id_contract")
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learner.id"], name=op.f("fk_contract_learner_learner_id_learner")
        ),
        sa.PrimaryKeyConstraint("contract_id", "learner_id", name=op.f("pk_contract_learner")),
    )
    with op.batch_alter_table("contract_learner", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_learner_learner_id"), ["learner_id"], unique=False
        )

    op.create_table(
        "cpf_dossier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edof_number", sa.String(length=32), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=True),
        sa.Column("exit_date", sa.Date(), nullable=True),
        sa.Column("completion_rate", sa.Integer(), nullable=True),
        sa.Column("exit_reason", sa.String(length=100), nullable=True),
        sa.Column("certification_result", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "completion_rate BETWEEN 0 AND 100", name=op.f("ck_cpf_dossier_completion_percent")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_cpf_dossier_contract_id_contract")
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learner.id"], name=op.f("fk_cpf_dossier_learner_id_learner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cpf_dossier")),
        sa.UniqueConstraint("edof_number", name=op.f("uq_cpf_dossier_edof_number")),
    )
    with op.batch_alter_table("cpf_dossier", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cpf_dossier_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cpf_dossier_learner_id"), ["learner_id"], unique=False)

    op.create_table(
        "enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("path_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "progress BETWEEN 0 AND 100", name=op.f("ck_enrolment_progress_percent")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_enrolment_contract_id_contract")
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learner.id"], name=op.f("fk_enrolment_learner_id_learner")
        ),
        sa.ForeignKeyConstraint(
            ["path_id"], ["learning_path.id"], name=op.f("fk_enrolment_path_id_learning_path")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment")),
        sa.UniqueConstraint("learner_id", "path_id", name=op.f("uq_enrolment_learner_id_path_id")),
    )
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrolment_contract_id"), ["contract_id"], unique=False)

    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_excl_tax_cents", sa.Integer(), nullable=False),
        sa.Column("tax_cents", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("billing_name", sa.String(length=200), nullable=False),
        sa.Column("billing_address", sa.Text(), nullable=False),
        sa.Column("billing_email", sa.String(length=254), nullable=True),
        sa.CheckConstraint(
            "billing_email = lower(billing_email)", name=op.f("ck_invoice_billing_email_lower_case")
        ),
        sa.CheckConstraint(
            "total_cents = amount_excl_tax_cents + tax_cents", name=op.f("ck_invoice_total")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_invoice_contract_id_contract")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
        sa.UniqueConstraint("number", name=op.f("uq_invoice_number")),
    )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_billing_email"), ["billing_email"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invoice_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_issued_on"), ["issued_on"], unique=False)

    op.create_table(
        "opco_dossier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_reference", sa.String(length=64), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=True),
        sa.Column("opco_name", sa.String(length=200), nullable=False),
        sa.Column("trainee_name", sa.String(length=200), nullable=False),
        sa.Column("employer_name", sa.String(length=200), nullable=False),
        sa.Column("training_title", sa.String(length=200), nullable=False),
        sa.Column("training_start", sa.Date(), nullable=False),
        sa.Column("training_end", sa.Date(), nullable=False),
        sa.Column("duration_hours", sa.Float(), nullable=False),
        sa.Column("certificate_ref", sa.String(length=200), nullable=True),
        sa.Column(
            "attendance_summary",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_opco_dossier_contract_id_contract")
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learner.id"], name=op.f("fk_opco_dossier_learner_id_learner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opco_dossier")),
        sa.UniqueConstraint(
            "agreement_reference", name=op.f("uq_opco_dossier_agreement_reference")
        ),
    )
    with op.batch_alter_table("opco_dossier", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opco_dossier_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_opco_dossier_learner_id"), ["learner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_opco_dossier_training_end"), ["training_end"], unique=False
        )

    op.create_table(
        "module_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("score_scaled", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_module_progress_enrolment_id_enrolment"),
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["learning_module.id"],
            name=op.f("fk_module_progress_module_id_learning_module"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_module_progress")),
        sa.UniqueConstraint(
            "enrolment_id", "module_id", name=op.f("uq_module_progress_enrolment_id_module_id")
        ),
    )


def downgrade() -> None:

    op.drop_table("module_progress")
    with op.batch_alter_table("opco_dossier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opco_dossier_training_end"))
        batch_op.drop_index(batch_op.f("ix_opco_dossier_learner_id"))
        batch_op.drop_index(batch_op.f("ix_opco_dossier_contract_id"))

    op.drop_table("opco_dossier")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_issued_on"))
        batch_op.drop_index(batch_op.f("ix_invoice_contract_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_billing_email"))

    op.drop_table("invoice")
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolment_contract_id"))

    op.drop_table("enrolment")
    with op.batch_alter_table("cpf_dossier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cpf_dossier_learner_id"))
        batch_op.drop_index(batch_op.f("ix_cpf_dossier_contract_id"))

    op.drop_table("cpf_dossier")
    with op.batch_alter_table("contract_learner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_learner_learner_id"))

    op.drop_table("contract_learner")
    with op.batch_alter_table("sponsor_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sponsor_contact_email"))

    op.drop_table("sponsor_contact")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_sent_at_send_after"))
        batch_op.drop_index(batch_op.f("ix_outbox_message_recipient"))
        batch_op.drop_index(batch_op.f("ix_outbox_message_learner_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_message_created_at"))

    op.drop_table("outbox_message")
    op.drop_table("learning_module")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_sponsor_id"))
        batch_op.drop_index(batch_op.f("ix_contract_ends_on"))

    op.drop_table("contract")
    with op.batch_alter_table("activity_statement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_statement_learner_id_timestamp"))

    op.drop_table("activity_statement")
    with op.batch_alter_table("sponsor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sponsor_email"))

    op.drop_table("sponsor")
    with op.batch_alter_table("newsletter_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_newsletter_subscription_unsubscribed_at"))

    op.drop_table("newsletter_subscription")
    op.drop_table("learning_path")
    with op.batch_alter_table("learner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learner_last_activity_at"))

    op.drop_table("learner")
    with op.batch_alter_table("contact_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_message_last_exchange_at"))
        batch_op.drop_index(batch_op.f("ix_contact_message_email"))

    op.drop_table("contact_message")
    with op.batch_alter_table("commercial_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commercial_contact_last_contract_end"))

    op.drop_table("commercial_contact")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_recorded_at"))

    op.drop_table("audit_entry")
    op.drop_table("activity_count")

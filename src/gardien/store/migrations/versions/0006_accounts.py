"""Accounts (every role), sessions, data-subject requests; learner passwords move to account

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 09:51:40.284648
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import gardien.store.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subject_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("identity_check", sa.String(length=20), nullable=False),
        sa.Column("received_at", gardien.store.types.UTCDateTime(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("extended_to", sa.Date(), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "outcome",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("closed_at", gardien.store.types.UTCDateTime(), nullable=True),
        sa.Column("verification_sha256", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "(status = 'extended') <= (extended_to IS NOT NULL)",
            name=op.f("ck_subject_request_extension_dated"),
        ),
        sa.CheckConstraint(
            "(status IN ('completed', 'refused')) = (closed_at IS NOT NULL)",
            name=op.f("ck_subject_request_closed_dated"),
        ),
        sa.CheckConstraint(
            "identity_check IN ('session', 'email_link')",
            name=op.f("ck_subject_request_identity_check"),
        ),
        sa.CheckConstraint(
            "kind IN ('access', 'portability', 'rectification', 'erasure', 'objection')",
            name=op.f("ck_subject_request_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'extended', 'completed', 'refused')",
            name=op.f("ck_subject_request_status"),
        ),
        sa.CheckConstraint(
            "email = lower(email)", name=op.f("ck_subject_request_email_lower_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_request")),
        sa.UniqueConstraint("reference", name=op.f("uq_subject_request_reference")),
        sa.UniqueConstraint(
            "verification_sha256", name=op.f("uq_subject_request_verification_sha256")
        ),
    )
    with op.batch_alter_table("subject_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subject_request_closed_at"), ["closed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_subject_request_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_subject_request_status"), ["status"], unique=False)

    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=True),
        sa.Column("sponsor_contact_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("totp_secret", sa.String(length=200), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("created_at", gardien.store.types.UTCDateTime(), nullable=False),
        sa.Column("activated_at", gardien.store.types.UTCDateTime(), nullable=True),
        sa.Column("password_changed_at", gardien.store.types.UTCDateTime(), nullable=True),
        sa.Column("last_sign_in_at", gardien.store.types.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "(role = 'learner') = (learner_id IS NOT NULL)", name=op.f("ck_account_learner_link")
        ),
        sa.CheckConstraint(
            "(role = 'sponsor_contact') = (sponsor_contact_id IS NOT NULL)",
            name=op.f("ck_account_contact_link"),
        ),
        sa.CheckConstraint(
            "role IN ('learner', 'sponsor_contact', 'dpo', 'admin')", name=op.f("ck_account_role")
        ),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_account_email_lower_case")),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learner.id"],
            name=op.f("fk_account_learner_id_learner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sponsor_contact_id"],
            ["sponsor_contact.id"],
            name=op.f("fk_account_sponsor_contact_id_sponsor_contact"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("email", name=op.f("uq_account_email")),
        sa.UniqueConstraint("learner_id", name=op.f("uq_account_learner_id")),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_role_last_sign_in_at"), ["role", "last_sign_in_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_account_sponsor_contact_id"), ["sponsor_contact_id"], unique=False
        )

    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", gardien.store.types.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", gardien.store.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", gardien.store.types.UTCDateTime(), nullable=False),
        sa.Column("second_factor_done", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_web_session_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_web_session_token_sha256")),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_session_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_web_session_expires_at"), ["expires_at"], unique=False)

    # A learner who had a password keeps it, now on an account of their own.
    op.execute(
        "INSERT INTO account (email, role, learner_id, password_hash, created_at, activated_at,"
        " password_changed_at) SELECT email, 'learner', id, password_hash, created_at,"
        " created_at, created_at FROM learner WHERE password_hash IS NOT NULL"
    )
    with op.batch_alter_table("learner", schema=None) as batch_op:
        batch_op.drop_column("password_hash")


def downgrade() -> None:
    with op.batch_alter_table("learner", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.VARCHAR(length=255), nullable=True))
    op.execute(
        "UPDATE learner SET password_hash = (SELECT account.password_hash FROM account"
        " WHERE account.learner_id = learner.id)"
    )

    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_session_expires_at"))
        batch_op.drop_index(batch_op.f("ix_web_session_account_id"))

    op.drop_table("web_session")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_sponsor_contact_id"))
        batch_op.drop_index(batch_op.f("ix_account_role_last_sign_in_at"))

    op.drop_table("account")
    with op.batch_alter_table("subject_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subject_request_status"))
        batch_op.drop_index(batch_op.f("ix_subject_request_email"))
        batch_op.drop_index(batch_op.f("ix_subject_request_closed_at"))

    op.drop_table("subject_request")

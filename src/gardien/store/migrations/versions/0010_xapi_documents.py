"""xAPI documents (State, Agent Profile, Activity Profile) and canonical activities

``xapi_document`` holds documents about a person, filed under the pseudonym of their agent and
linked to the learner when the agent is one; ``xapi_activity_profile`` documents about an
activity; ``xapi_activity`` the canonical definition of each activity statements named
(``store/tables/xapi_documents.py``).

Revision ID: 0010
Revises: 0008 (0009 on the main line: the merger of the issue-16 branches sets it)
Create Date: 2026-12-14 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gardien.store.types

revision: str = "0010"
# Written after 0009 (another branch of issue 16); this branch does not have it yet.
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID_LENGTH = 2048


def upgrade() -> None:
    op.create_table(
        "xapi_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("agent_name", sa.String(length=255), nullable=False),
        sa.Column("activity_id", sa.String(length=ID_LENGTH), nullable=True),
        sa.Column("registration", sa.String(length=36), nullable=True),
        sa.Column("document_id", sa.String(length=ID_LENGTH), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column("updated_at", gardien.store.types.UTCDateTime(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learner.id"], name=op.f("fk_xapi_document_learner_id_learner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_document")),
        sa.UniqueConstraint("key_sha256", name=op.f("uq_xapi_document_key_sha256")),
    )
    for column in ("agent_name", "learner_id", "updated_at"):
        op.create_index(op.f(f"ix_xapi_document_{column}"), "xapi_document", [column])
    op.create_table(
        "xapi_activity_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("activity_id", sa.String(length=ID_LENGTH), nullable=False),
        sa.Column("document_id", sa.String(length=ID_LENGTH), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column("updated_at", gardien.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_activity_profile")),
        sa.UniqueConstraint("key_sha256", name=op.f("uq_xapi_activity_profile_key_sha256")),
    )
    op.create_table(
        "xapi_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("activity_id", sa.String(length=ID_LENGTH), nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_activity")),
        sa.UniqueConstraint("key_sha256", name=op.f("uq_xapi_activity_key_sha256")),
    )


def downgrade() -> None:
    op.drop_table("xapi_activity")
    op.drop_table("xapi_activity_profile")
    for column in ("updated_at", "learner_id", "agent_name"):
        op.drop_index(op.f(f"ix_xapi_document_{column}"), table_name="xapi_document")
    op.drop_table("xapi_document")

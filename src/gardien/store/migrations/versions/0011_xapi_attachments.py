"""xAPI attachments: the blobs held, and which statement carries which

``xapi_blob`` names each blob of the blob store by its SHA-256; ``xapi_attachment`` links a
statement to a blob (with the hash the statement declares and the content type), and goes
with its statement (ON DELETE CASCADE). See ``store/tables/xapi_attachments.py``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-20 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gardien.store.types

revision: str = "0011"
# Comes after 0010 (document resources), which comes after 0009 (pseudonyms of every agent):
# both are written on other branches. On this branch alone it follows 0008: the merge sets
# it to "0010".
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "xapi_blob",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("stored_at", gardien.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_blob")),
        sa.UniqueConstraint("sha256", name=op.f("uq_xapi_blob_sha256")),
    )
    op.create_table(
        "xapi_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("sha2", sa.String(length=128), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["activity_statement.statement_id"],
            name=op.f("fk_xapi_attachment_statement_id_activity_statement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["xapi_blob.sha256"],
            name=op.f("fk_xapi_attachment_sha256_xapi_blob"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_attachment")),
        sa.UniqueConstraint(
            "statement_id", "sha2", name=op.f("uq_xapi_attachment_statement_id_sha2")
        ),
    )
    op.create_index(op.f("ix_xapi_attachment_sha256"), "xapi_attachment", ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_xapi_attachment_sha256"), table_name="xapi_attachment")
    op.drop_table("xapi_attachment")
    op.drop_table("xapi_blob")

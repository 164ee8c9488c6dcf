"""Download links answering access requests: ``export_link``

A single-use, expiring link to download one's data, sent to someone who asked for access
without an account. Only the token's SHA-256 is stored; the row goes with its request. See
``store/tables/accounts.py`` and ``services/request_actions.py``.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gardien.store.types

revision: str = "0016"
# Other branches of issue 18 add their own migrations after 0011: the merge re-chains them.
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "export_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", gardien.store.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", gardien.store.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", gardien.store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_request.id"],
            name=op.f("fk_export_link_request_id_subject_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_link")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_export_link_token_sha256")),
    )
    op.create_index(op.f("ix_export_link_request_id"), "export_link", ["request_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_export_link_request_id"), table_name="export_link")
    op.drop_table("export_link")

"""The erasure ledger's entries a database has applied: ``erasure_applied``

Every erasure is also written to a ledger outside the database (store/erasure_ledger.py); the
erasure inserts its entry's id here in its own transaction. After a backup is restored,
``gardien erasure replay`` re-applies the entries missing here, and the web server refuses to
start until it has (docs/backups.md).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gardien.store.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasure_applied",
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("applied_at", gardien.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_erasure_applied")),
    )


def downgrade() -> None:
    op.drop_table("erasure_applied")

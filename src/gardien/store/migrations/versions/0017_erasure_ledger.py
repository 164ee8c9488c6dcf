"""The erasure ledger's entries a database has applied, and its lineage

Every erasure is also written to a ledger outside the database (store/erasure_ledger.py); the
erasure inserts its entry's id into ``erasure_applied`` in its own transaction. After a backup
is restored, ``gardien erasure replay`` re-applies the entries missing there, and the web server
refuses to start until it has (docs/backups.md). ``erasure_lineage`` holds one random id, made
here, that every backup and copy of this database carries and a new database does not: the
ledger keeps the entries of each lineage apart.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:30:00
"""

import uuid
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
    lineage = op.create_table(
        "erasure_lineage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lineage", sa.String(length=32), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_erasure_lineage_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_lineage")),
    )
    op.bulk_insert(lineage, [{"id": 1, "lineage": uuid.uuid4().hex}])


def downgrade() -> None:
    op.drop_table("erasure_lineage")
    op.drop_table("erasure_applied")

"""Throttle counters in the database, shared by every worker process

One row per counter (``store/tables/throttle.py``): a keyed hash naming it, the hits of its
current window, until when a client must wait, and when the row stops mattering (the clock of
the ``throttle_counters`` retention rule). No address, no IP address: only keyed hashes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-12 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gardien.store.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "throttle_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("window_start", gardien.store.types.UTCDateTime(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("blocked_until", gardien.store.types.UTCDateTime(), nullable=True),
        sa.Column("expires_at", gardien.store.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("hits >= 0", name=op.f("ck_throttle_counter_hits_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle_counter")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_throttle_counter_key_hash")),
    )
    op.create_index(
        op.f("ix_throttle_counter_expires_at"), "throttle_counter", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_throttle_counter_expires_at"), table_name="throttle_counter")
    op.drop_table("throttle_counter")

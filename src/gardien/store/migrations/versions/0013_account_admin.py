"""Account administration: an account can be deactivated, and an invitation sent again

``account.deactivated_at`` (set: the account cannot sign in and has no session) and
``account.invitation_nonce`` (random, drawn for each invitation sent: the link carries a
fingerprint of it, so sending a new one makes the old link worthless).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gardien.store.types

revision: str = "0013"
# Written beside the other issue-18 branches: the lead re-chains it at merge.
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invitation_nonce", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("deactivated_at", gardien.store.types.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("deactivated_at")
        batch_op.drop_column("invitation_nonce")

"""contact replies

A contact message can be marked answered in the DPO console and answered from it by e-mail:
``contact_message`` gets the language it was written in (unknown for earlier and imported
messages), when it was answered, and the reply sent with when it was sent. The reply is an
exchange: it moves the message's ``last_exchange_at``, the clock of its retention rule.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gardien.store.types

revision: str = "0014"
# Written beside other issue-18 branches: the merge re-chains it after the last of them.
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lang", sa.String(length=2), nullable=True))
        batch_op.add_column(
            sa.Column("answered_at", gardien.store.types.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("reply", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("replied_at", gardien.store.types.UTCDateTime(), nullable=True)
        )
        batch_op.create_check_constraint(
            op.f("ck_contact_message_reply_dated"), "(reply IS NULL) = (replied_at IS NULL)"
        )
        batch_op.create_check_constraint(
            op.f("ck_contact_message_replied_answered"),
            "replied_at IS NULL OR answered_at IS NOT NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_contact_message_replied_answered"), type_="check")
        batch_op.drop_constraint(op.f("ck_contact_message_reply_dated"), type_="check")
        batch_op.drop_column("replied_at")
        batch_op.drop_column("reply")
        batch_op.drop_column("answered_at")
        batch_op.drop_column("lang")

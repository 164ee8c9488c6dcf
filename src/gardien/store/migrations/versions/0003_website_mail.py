"""website mail: HTML bodies and headers in the outbox, the unconfirmed-subscription clock

Newsletters go out with an HTML alternative and ``List-Unsubscribe`` headers (RFC 8058), kept
with the message so that a retry sends exactly what was queued. Unconfirmed subscriptions are
swept by creation date: an index on (status, created_at) reads only the pending ones.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("html_body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("headers", sa.Text(), nullable=True))
    with op.batch_alter_table("newsletter_subscription", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_newsletter_subscription_status_created_at"),
            ["status", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("newsletter_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_newsletter_subscription_status_created_at"))
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("headers")
        batch_op.drop_column("html_body")

"""sponsor retention clock

The sponsor and sponsor-contact rules count from a sponsor's latest contract end (or its
creation day without a contract). Computed in each sweep, that read every sponsor; stored in
an indexed column, a sweep reads only the expired ones.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 07:40:00
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sponsor", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_clock", sa.Date(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_sponsor_anonymised_at_retention_clock"),
            ["anonymised_at", "retention_clock"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_sponsor_retention_clock"), ["retention_clock"], unique=False
        )
    _backfill()


def _backfill() -> None:
    """Every existing sponsor gets its clock (sponsors are few: a plain loop will do)."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT s.id, s.created_at,"
            " (SELECT max(c.ends_on) FROM contract c WHERE c.sponsor_id = s.id)"
            " FROM sponsor s"
        )
    ).all()
    sponsor = sa.table("sponsor", sa.column("id"), sa.column("retention_clock", sa.Date()))
    for sponsor_id, created_at, latest in rows:
        clock = _day(latest) if latest is not None else _day(created_at)
        connection.execute(
            sa.update(sponsor).where(sponsor.c.id == sponsor_id).values(retention_clock=clock)
        )


def _day(value: object) -> date:
    # PostgreSQL returns dates and aware datetimes; SQLite the text gardien stored (UTC).
    if isinstance(value, datetime):
        return value.date() if value.tzinfo is None else value.astimezone(UTC).date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def downgrade() -> None:
    with op.batch_alter_table("sponsor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sponsor_retention_clock"))
        batch_op.drop_index(batch_op.f("ix_sponsor_anonymised_at_retention_clock"))
        batch_op.drop_column("retention_clock")

"""Second factor: the secret being set up, and the recovery codes

``account.totp_pending`` keeps the sealed secret the set-up page shows until a first code
confirms it; ``account.recovery_codes`` the keyed digests of the one-time recovery codes not
used yet. See ``store/tables/accounts.py`` and ``services/accounts/second_factor.py``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
# Written beside other 0012s on other branches: the merge re-chains them.
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("totp_pending", sa.String(length=200), nullable=True))
        batch.add_column(
            sa.Column(
                "recovery_codes",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.drop_column("recovery_codes")
        batch.drop_column("totp_pending")

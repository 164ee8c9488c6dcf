"""The statements referring to a statement, by index: ``ix_activity_statement_statement_ref``

``GET /xapi/statements`` with a filter also returns the statements whose object is a
StatementRef to a matching statement. It now finds the matching statements by index first,
then those referring to them through this index (store/xapi_query.py, ``_matched_ids``): on
``lower(object_id)``, for objects of a statement id's length only, so most statements (about
an activity) are not in it. Building it reads the whole table once and holds writes to it
meanwhile (docs/scaling.md gives the query before and after).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = sa.text("length(object_id) = 36")


def upgrade() -> None:
    op.create_index(
        "ix_activity_statement_statement_ref",
        "activity_statement",
        [sa.text("lower(object_id)")],
        unique=False,
        postgresql_where=_WHERE,
        sqlite_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_activity_statement_statement_ref", table_name="activity_statement")

"""Purge runs: an index on the audit log's kind of event

The DPO console reads the last entry of a kind on every visit (the last ``sweep.run``,
``audit.verified``, ``sweep.started``: services/purges.py) and a run's entries by kind after
its start: ``(action, id)`` makes each a short index walk instead of a scan of the whole log,
even for a kind that never occurred.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 09:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
# Issue 18's migrations are written on parallel branches, each after 0011; the merge re-chains.
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain CREATE INDEX: no copy of the table, however long the log (no batch mode needed).
    op.create_index(op.f("ix_audit_entry_action_id"), "audit_entry", ["action", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_entry_action_id"), table_name="audit_entry")

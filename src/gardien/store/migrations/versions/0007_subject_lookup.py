"""Keyed lookups on the records kept after their person: OPCO dossiers, invoices, commercial
contacts, the disclosure log, parked statements

Each gets ``subject_lookup`` (``<key id>:<HMAC-SHA-256>`` of the person's address, see
``domain/lookup.py``), indexed. Parked statements get ``actor_lookup`` and keep their old
unkeyed ``actor_digest`` only for the rows parked before this revision (nullable now; they
expire within the month of the parked-statements rule).

An invoice never changes, but the lookup is no part of the invoice: the trigger that refuses
updates now fires on an update of any other column, so the lookup can be written when the
invoice outlives the person's other records.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOOKUP = 73
_KEPT = ("opco_dossier", "invoice", "commercial_contact", "disclosure_subject")
# Every column of an invoice but the lookup: updating any of them is refused.
_INVOICE_COLUMNS = (
    "id, number, contract_id, issued_on, currency, amount_excl_tax_cents, tax_cents,"
    " total_cents, billing_name, billing_address, billing_email, kind, corrects_number"
)
_IMMUTABLE = "invoices are immutable once issued: issue a credit note"


def upgrade() -> None:
    for table in _KEPT:
        op.add_column(table, sa.Column("subject_lookup", sa.String(length=LOOKUP), nullable=True))
        op.create_index(op.f(f"ix_{table}_subject_lookup"), table, ["subject_lookup"])
    op.add_column("xapi_parked", sa.Column("actor_lookup", sa.String(length=LOOKUP)))
    op.create_index(op.f("ix_xapi_parked_actor_lookup"), "xapi_parked", ["actor_lookup"])
    with op.batch_alter_table("xapi_parked", schema=None) as batch_op:
        batch_op.alter_column("actor_digest", existing_type=sa.String(length=64), nullable=True)
    _invoice_trigger(f"BEFORE UPDATE OF {_INVOICE_COLUMNS} ON invoice")


def downgrade() -> None:
    _invoice_trigger("BEFORE UPDATE ON invoice")
    op.execute("DELETE FROM xapi_parked WHERE actor_digest IS NULL")
    with op.batch_alter_table("xapi_parked", schema=None) as batch_op:
        batch_op.alter_column("actor_digest", existing_type=sa.String(length=64), nullable=False)
    op.drop_index(op.f("ix_xapi_parked_actor_lookup"), table_name="xapi_parked")
    op.drop_column("xapi_parked", "actor_lookup")
    for table in reversed(_KEPT):
        op.drop_index(op.f(f"ix_{table}_subject_lookup"), table_name=table)
        op.drop_column(table, "subject_lookup")


def _invoice_trigger(when: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER invoice_immutable ON invoice")
        op.execute(
            f"CREATE TRIGGER invoice_immutable {when}"
            " FOR EACH ROW EXECUTE FUNCTION invoice_immutable()"
        )
    else:
        op.execute("DROP TRIGGER invoice_immutable")
        op.execute(
            f"CREATE TRIGGER invoice_immutable {when}"
            f" BEGIN SELECT RAISE(ABORT, '{_IMMUTABLE}'); END"
        )

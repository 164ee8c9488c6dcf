"""disclosure log, immutable invoices with credit notes, EDOF states

- ``disclosure`` and ``disclosure_subject``: every transmission to a sponsor or a funding body.
- ``invoice.kind`` and ``invoice.corrects_number``: a correction is a credit note; a trigger on
  both databases refuses any UPDATE of an invoice row (deletion at the end of the retention
  period stays possible).
- ``cpf_dossier.status`` restricted to the EDOF states.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gardien.store.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IMMUTABLE = "invoices are immutable once issued: issue a credit note"
EDOF_STATES = (
    "status IN ('accepted', 'in_training', 'terminated', 'service_declared',"
    " 'service_validated', 'cancelled', 'refused')"
)


def upgrade() -> None:
    op.create_table(
        "disclosure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transmitted_at", gardien.store.types.UTCDateTime(), nullable=False),
        sa.Column("contract_reference", sa.String(length=64), nullable=False),
        sa.Column("funding_type", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("legal_basis", sa.String(length=40), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("payload_format", sa.String(length=10), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure")),
    )
    with op.batch_alter_table("disclosure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_contract_reference"), ["contract_reference"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_disclosure_transmitted_at"), ["transmitted_at"], unique=False
        )
    op.create_table(
        "disclosure_subject",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disclosure_id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["disclosure_id"],
            ["disclosure.id"],
            name=op.f("fk_disclosure_subject_disclosure_id_disclosure"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_subject")),
    )
    with op.batch_alter_table("disclosure_subject", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_subject_disclosure_id"), ["disclosure_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_disclosure_subject_pseudonym"), ["pseudonym"], unique=False
        )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), server_default="invoice", nullable=False)
        )
        batch_op.add_column(sa.Column("corrects_number", sa.String(length=64), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_invoice_kind"), "kind IN ('invoice', 'credit_note')"
        )
        batch_op.create_check_constraint(
            op.f("ck_invoice_credit_note_corrects"),
            "(kind = 'credit_note') = (corrects_number IS NOT NULL)",
        )
    with op.batch_alter_table("cpf_dossier", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_cpf_dossier_edof_status"), EDOF_STATES)
    _immutable_invoices()


def _immutable_invoices() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION invoice_immutable() RETURNS trigger AS $$ BEGIN"
            f" RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'integrity_constraint_violation';"
            " END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER invoice_immutable BEFORE UPDATE ON invoice"
            " FOR EACH ROW EXECUTE FUNCTION invoice_immutable()"
        )
    else:
        op.execute(
            "CREATE TRIGGER invoice_immutable BEFORE UPDATE ON invoice"
            f" BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER invoice_immutable ON invoice")
        op.execute("DROP FUNCTION invoice_immutable()")
    else:
        op.execute("DROP TRIGGER invoice_immutable")
    with op.batch_alter_table("cpf_dossier", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_cpf_dossier_edof_status"), type_="check")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invoice_credit_note_corrects"), type_="check")
        batch_op.drop_constraint(op.f("ck_invoice_kind"), type_="check")
        batch_op.drop_column("corrects_number")
        batch_op.drop_column("kind")
    with op.batch_alter_table("disclosure_subject", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_subject_pseudonym"))
        batch_op.drop_index(batch_op.f("ix_disclosure_subject_disclosure_id"))
    op.drop_table("disclosure_subject")
    with op.batch_alter_table("disclosure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_transmitted_at"))
        batch_op.drop_index(batch_op.f("ix_disclosure_contract_reference"))
    op.drop_table("disclosure")

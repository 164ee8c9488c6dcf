"""xAPI: clients, parked statements, registration/voided/client on statements, module IRIs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 08:40:00
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gardien.store.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "xapi_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", gardien.store.types.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", gardien.store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_client")),
        sa.UniqueConstraint("key", name=op.f("uq_xapi_client_key")),
        sa.UniqueConstraint("name", name=op.f("uq_xapi_client_name")),
    )
    op.create_table(
        "xapi_parked",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", gardien.store.types.UTCDateTime(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("actor_digest", sa.String(length=64), nullable=False),
        sa.Column(
            "statement",
            sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["xapi_client.id"], name=op.f("fk_xapi_parked_client_id_xapi_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_parked")),
    )
    with op.batch_alter_table("xapi_parked", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_xapi_parked_actor_digest"), ["actor_digest"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_xapi_parked_received_at"), ["received_at"], unique=False
        )
    with op.batch_alter_table("activity_statement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registration", sa.String(length=36), nullable=True))
        batch_op.add_column(
            sa.Column("voided", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("client_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_activity_statement_client_id_xapi_client"),
            "xapi_client",
            ["client_id"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f("ix_activity_statement_registration"), ["registration"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_activity_statement_stored_at_id"), ["stored_at", "id"], unique=False
        )
    with op.batch_alter_table("learner", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mbox_sha1sum", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_learner_mbox_sha1sum"), ["mbox_sha1sum"], unique=False)
    _backfill_mbox_sha1sum()
    with op.batch_alter_table("learning_module", schema=None) as batch_op:
        batch_op.add_column(sa.Column("activity_id", sa.String(length=2048), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_learning_module_activity_id"), ["activity_id"]
        )


def _backfill_mbox_sha1sum() -> None:
    """Every existing learner gets the digest xAPI content may name them by, in batches."""
    connection = op.get_bind()
    learner = sa.table("learner", sa.column("id"), sa.column("email"), sa.column("mbox_sha1sum"))
    after = 0
    while True:
        rows = connection.execute(
            sa.select(learner.c.id, learner.c.email)
            .where(learner.c.id > after)
            .order_by(learner.c.id)
            .limit(10_000)
        ).all()
        if not rows:
            return
        connection.execute(
            sa.update(learner)
            .where(learner.c.id == sa.bindparam("learner_id"))
            .values(mbox_sha1sum=sa.bindparam("digest")),
            [
                {
                    "learner_id": row.id,
                    "digest": hashlib.sha1(f"mailto:{row.email}".encode()).hexdigest(),
                }
                for row in rows
            ],
        )
        after = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("learning_module", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_learning_module_activity_id"), type_="unique")
        batch_op.drop_column("activity_id")
    with op.batch_alter_table("learner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learner_mbox_sha1sum"))
        batch_op.drop_column("mbox_sha1sum")
    with op.batch_alter_table("activity_statement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_statement_stored_at_id"))
        batch_op.drop_index(batch_op.f("ix_activity_statement_registration"))
        batch_op.drop_constraint(
            batch_op.f("fk_activity_statement_client_id_xapi_client"), type_="foreignkey"
        )
        batch_op.drop_column("client_id")
        batch_op.drop_column("voided")
        batch_op.drop_column("registration")
    with op.batch_alter_table("xapi_parked", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xapi_parked_received_at"))
        batch_op.drop_index(batch_op.f("ix_xapi_parked_actor_digest"))
    op.drop_table("xapi_parked")
    op.drop_table("xapi_client")

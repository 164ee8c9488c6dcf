"""Every agent of a statement by pseudonym; statements about unknown people stored, not parked

``activity_statement`` gets ``actor_name`` (the actor's pseudonym) and a nullable
``learner_id`` (None while the actor is no learner); ``statement_agent`` lists the other agents
a statement names, by place and pseudonym. Existing statements all have a learner's pseudonym
as actor (earlier versions refused or dropped every other agent): ``actor_name`` is that
pseudonym.

Statements parked in ``xapi_parked`` (kept as received, addresses included) move into
``activity_statement`` with every agent pseudonymised as the LRS now stores them
(domain/xapi/pseudonyms.py): under the learner's own pseudonym when their actor is a learner
by now, else under keyed pseudonyms and no learner; then the table goes. That needs the
server key and public URL: ``gardien db upgrade`` hands them over, else they are read from
the environment (``GARDIEN_SECRET_KEY``, ``GARDIEN_PUBLIC_URL``), and only when a row is
parked.

Downgrading cannot put the addresses back: ``xapi_parked`` comes back empty, and statements
without a learner are deleted (the older schema cannot hold them).

Revision ID: 0009
Revises: 0008
Create Date: 2027-01-05 10:00:00
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import context, op

import gardien.store.types
from gardien.domain.xapi.identifiers import mbox_sha1sum
from gardien.domain.xapi.pseudonyms import Pseudonyms, stored_places
from gardien.domain.xapi.validate import VOIDED, is_voiding, parse_timestamp

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOOKUP = 73


def upgrade() -> None:
    with op.batch_alter_table("activity_statement", schema=None) as batch_op:
        batch_op.alter_column("learner_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("actor_name", sa.String(length=LOOKUP), nullable=True))
    op.create_table(
        "statement_agent",
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("place", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=LOOKUP), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["activity_statement.statement_id"],
            name=op.f("fk_statement_agent_statement_id_activity_statement"),
        ),
        sa.PrimaryKeyConstraint("statement_id", "place", "name", name=op.f("pk_statement_agent")),
    )
    with op.batch_alter_table("statement_agent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statement_agent_name"), ["name"], unique=False)
    op.execute(
        "UPDATE activity_statement SET actor_name ="
        " (SELECT pseudonym FROM learner WHERE learner.id = activity_statement.learner_id)"
    )
    _unpark(op.get_bind())
    with op.batch_alter_table("xapi_parked", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xapi_parked_actor_lookup"))
        batch_op.drop_index(batch_op.f("ix_xapi_parked_received_at"))
        batch_op.drop_index(batch_op.f("ix_xapi_parked_actor_digest"))
    op.drop_table("xapi_parked")


def downgrade() -> None:
    op.create_table(
        "xapi_parked",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", gardien.store.types.UTCDateTime(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("actor_digest", sa.String(length=64), nullable=True),
        sa.Column(
            "statement",
            sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("actor_lookup", sa.String(length=LOOKUP), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["xapi_client.id"], name=op.f("fk_xapi_parked_client_id_xapi_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_parked")),
    )
    with op.batch_alter_table("xapi_parked", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xapi_parked_actor_digest"), ["actor_digest"])
        batch_op.create_index(batch_op.f("ix_xapi_parked_received_at"), ["received_at"])
        batch_op.create_index(batch_op.f("ix_xapi_parked_actor_lookup"), ["actor_lookup"])
    with op.batch_alter_table("statement_agent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_agent_name"))
    op.drop_table("statement_agent")
    op.execute("DELETE FROM activity_statement WHERE learner_id IS NULL")
    with op.batch_alter_table("activity_statement", schema=None) as batch_op:
        batch_op.drop_column("actor_name")
        batch_op.alter_column("learner_id", existing_type=sa.Integer(), nullable=False)


# -- the parked statements, stored as the LRS stores statements now ----------------------------

_parked = sa.table(
    "xapi_parked",
    sa.column("id", sa.Integer()),
    sa.column("received_at", gardien.store.types.UTCDateTime()),
    sa.column("client_id", sa.Integer()),
    sa.column("statement", gardien.store.types.json_document()),
)
_statement = sa.table(
    "activity_statement",
    *(
        sa.column(name)
        for name in (
            "statement_id",
            "learner_id",
            "actor_name",
            "verb",
            "object_id",
            "result_success",
            "result_completion",
            "result_score_scaled",
            "registration",
            "voided",
            "client_id",
        )
    ),
    sa.column("timestamp", gardien.store.types.UTCDateTime()),
    sa.column("stored_at", gardien.store.types.UTCDateTime()),
    sa.column("raw", gardien.store.types.json_document()),
)
_agent = sa.table(
    "statement_agent", sa.column("statement_id"), sa.column("place"), sa.column("name")
)


def _unpark(connection: sa.Connection) -> None:
    parked = connection.execute(
        sa.select(_parked).order_by(_parked.c.received_at, _parked.c.id)
    ).all()
    if not parked:
        return
    names = _pseudonyms()
    clients: dict[int, str] = {
        row.id: row.name for row in connection.execute(sa.text("SELECT id, name FROM xapi_client"))
    }
    for row in parked:
        statement: dict[str, Any] = dict(row.statement)
        statement_id = str(statement.get("id") or uuid.uuid4()).lower()
        known = connection.execute(
            sa.select(_statement.c.statement_id).where(_statement.c.statement_id == statement_id)
        ).first()
        if known is not None:
            continue  # stored meanwhile: the stored statement stands
        document = names.statement(statement)
        learner = _learner(connection, statement.get("actor"))
        if learner is not None:
            document["actor"] = {
                "objectType": "Agent",
                "account": {"homePage": names.learner_home, "name": learner[1]},
            }
        actor = document["actor"].get("account") or {}
        received: datetime = row.received_at
        document.update(
            id=statement_id,
            authority={
                "objectType": "Agent",
                "account": {
                    "homePage": f"{names.learner_home}/xapi/clients",
                    "name": clients[row.client_id],
                },
            },
            stored=received.isoformat(),
        )
        document.setdefault("timestamp", received.isoformat())
        document.setdefault("version", "1.0.0")
        connection.execute(sa.insert(_statement).values(_row(document, row, learner, actor)))
        places = stored_places(document)
        if places:
            connection.execute(
                sa.insert(_agent),
                [{"statement_id": statement_id, "place": p, "name": n} for p, n in places],
            )
        target = is_voiding(document)
        if target is not None:
            connection.execute(
                sa.update(_statement)
                .where(_statement.c.statement_id == target, _statement.c.verb != VOIDED)
                .values(voided=True)
            )


def _row(
    document: dict[str, Any], parked: Any, learner: tuple[int, str] | None, actor: Any
) -> dict[str, Any]:
    result = document.get("result") or {}
    score = (result.get("score") or {}).get("scaled")
    target = document["object"]
    return {
        "statement_id": document["id"],
        "learner_id": learner[0] if learner else None,
        "actor_name": actor.get("name"),
        "verb": document["verb"]["id"],
        "object_id": str(target.get("id", "")),
        "result_success": result.get("success"),
        "result_completion": result.get("completion"),
        "result_score_scaled": float(score) if isinstance(score, int | float) else None,
        "timestamp": parse_timestamp(document["timestamp"]),
        "stored_at": parked.received_at,
        "raw": document,
        "registration": (document.get("context") or {}).get("registration"),
        "voided": False,
        "client_id": parked.client_id,
    }


def _learner(connection: sa.Connection, actor: Any) -> tuple[int, str] | None:
    """The learner a parked actor names by now (mbox or mbox_sha1sum), if any."""
    if not isinstance(actor, dict) or actor.get("objectType") == "Group":
        return None
    if isinstance(actor.get("mbox"), str):
        address = actor["mbox"].removeprefix("mailto:").strip().lower()
        found = connection.execute(
            sa.text("SELECT id, pseudonym FROM learner WHERE email = :address"),
            {"address": address},
        ).first()
        if found is not None:
            return (int(found[0]), str(found[1]))
        digest = mbox_sha1sum(address)
    elif isinstance(actor.get("mbox_sha1sum"), str):
        digest = actor["mbox_sha1sum"].lower()
    else:
        return None
    found = connection.execute(
        sa.text("SELECT id, pseudonym FROM learner WHERE mbox_sha1sum = :digest"),
        {"digest": digest},
    ).first()
    return (int(found[0]), str(found[1])) if found is not None else None


def _pseudonyms() -> Pseudonyms:
    given = context.config.attributes.get("pseudonyms")
    if isinstance(given, Pseudonyms):
        return given
    from gardien.domain.lookup import SubjectLookup
    from gardien.settings import load_settings

    settings = load_settings()
    lookup = SubjectLookup(
        settings.secret_key.get_secret_value(), previous=settings.retired_secrets
    )
    return Pseudonyms(lookup, settings.public_url)

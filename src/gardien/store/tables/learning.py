"""Learners, learning paths, enrolments and activity (xAPI statements).

Activity refers to a learner by ``learner_id`` only: identity lives in ``learner`` alone, so
erasing it is one operation. A statement names every agent by a pseudonym (docs/xapi.md):
its actor's in ``actor_name``, the others' (an agent as object, group members, the people of
its context, a sub-statement's) in ``statement_agent``, so that a query by agent, an export
and an erasure find a person wherever a statement names them. A statement whose actor is no
learner (yet) has no ``learner_id``: it lives by the ``unlinked_statements`` rule.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
    func,
)

from gardien.domain.lookup import LOOKUP_LENGTH
from gardien.store.classify import SURROGATE, keyed_lookup, not_personal, personal
from gardien.store.metadata import lower_case, metadata
from gardien.store.types import UTCDateTime, json_document

CATALOGUE = not_personal("course catalogue, about no person")
AGGREGATE = not_personal("aggregate with no link to a person")

learner = Table(
    "learner",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("pseudonym", String(36), nullable=False, unique=True, info=personal("identity")),
    Column("email", String(254), nullable=False, unique=True, info=personal("identity")),
    # SHA-1 of "mailto:<email>": how xAPI content may name the learner (mbox_sha1sum).
    Column("mbox_sha1sum", String(40), nullable=True, index=True, info=personal("identity")),
    Column("given_name", String(100), nullable=False, info=personal("identity")),
    Column("family_name", String(100), nullable=False, info=personal("identity")),
    Column("created_at", UTCDateTime(), nullable=False, info=personal("identity")),
    # The main retention clock: indexed so that a sweep finds the expired without a scan.
    Column(
        "last_activity_at", UTCDateTime(), nullable=False, index=True, info=personal("activity")
    ),
    lower_case("email"),
)

learning_path = Table(
    "learning_path",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("code", String(64), nullable=False, unique=True, info=CATALOGUE),
    Column("title", String(200), nullable=False, info=CATALOGUE),
)

learning_module = Table(
    "learning_module",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("path_id", ForeignKey("learning_path.id"), nullable=False, info=CATALOGUE),
    Column("code", String(64), nullable=False, info=CATALOGUE),
    Column("title", String(200), nullable=False, info=CATALOGUE),
    Column("position", Integer, nullable=False, info=CATALOGUE),
    # The xAPI activity IRI content reports this module under: completing, passing or failing
    # it (a statement on this object) moves the learner's progress on the path.
    Column("activity_id", String(2048), nullable=True, unique=True, info=CATALOGUE),
    UniqueConstraint("path_id", "code"),
)

enrolment = Table(
    "enrolment",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("learner_id", ForeignKey("learner.id"), nullable=False, info=personal("learning_path")),
    Column(
        "path_id", ForeignKey("learning_path.id"), nullable=False, info=personal("learning_path")
    ),
    Column(
        "contract_id",
        ForeignKey("contract.id"),
        nullable=True,
        index=True,
        info=personal("learning_path"),
    ),
    Column("enrolled_at", UTCDateTime(), nullable=False, info=personal("learning_path")),
    Column("status", String(20), nullable=False, info=personal("learning_path")),
    Column("progress", Integer, nullable=False, info=personal("learning_path")),
    Column("completed_at", UTCDateTime(), nullable=True, info=personal("learning_path")),
    UniqueConstraint("learner_id", "path_id"),
    CheckConstraint("progress BETWEEN 0 AND 100", name="progress_percent"),
)

module_progress = Table(
    "module_progress",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column(
        "enrolment_id", ForeignKey("enrolment.id"), nullable=False, info=personal("learning_path")
    ),
    Column(
        "module_id",
        ForeignKey("learning_module.id"),
        nullable=False,
        info=personal("learning_path"),
    ),
    Column("status", String(20), nullable=False, info=personal("learning_path")),
    Column("score_scaled", Float, nullable=True, info=personal("learning_path")),
    Column("updated_at", UTCDateTime(), nullable=False, info=personal("learning_path")),
    UniqueConstraint("enrolment_id", "module_id"),
)

activity_statement = Table(
    "activity_statement",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("statement_id", String(36), nullable=False, unique=True, info=personal("activity")),
    # None while the actor is nobody gardien knows: the statement stays unlinked until a
    # learner appears with the actor's identifier (services/xapi/linking.py).
    Column("learner_id", ForeignKey("learner.id"), nullable=True, info=personal("activity")),
    # The actor's pseudonym: the learner's own, or the keyed pseudonym of its identifier (None
    # for an anonymous group). How queries by agent, exports and erasures find the actor of a
    # statement of no learner. Not indexed of its own: those are found by ``learner_id IS
    # NULL`` on the index below (a month of them at most), a learner's by ``learner_id``, and
    # every statement stored would pay for the index.
    Column("actor_name", String(LOOKUP_LENGTH), nullable=True, info=keyed_lookup("activity")),
    Column("verb", String(255), nullable=False, info=personal("activity")),
    Column("object_id", String(2048), nullable=False, info=personal("activity")),
    Column("result_success", Boolean, nullable=True, info=personal("activity")),
    Column("result_completion", Boolean, nullable=True, info=personal("activity")),
    Column("result_score_scaled", Float, nullable=True, info=personal("activity")),
    Column("timestamp", UTCDateTime(), nullable=False, info=personal("activity")),
    Column("stored_at", UTCDateTime(), nullable=False, info=personal("activity")),
    Column("raw", json_document(), nullable=False, info=personal("activity")),
    # xAPI: the registration (attempt) it belongs to, whether a voiding statement voided it,
    # and the client that sent it (None: imported).
    Column("registration", String(36), nullable=True, index=True, info=personal("activity")),
    Column(
        "voided",
        Boolean,
        nullable=False,
        server_default=false(),
        info=not_personal("processing state"),
    ),
    Column("client_id", ForeignKey("xapi_client.id"), nullable=True, info=not_personal("client")),
    # Erasure and export find a learner's statements by this index, newest first; linking,
    # queries by agent and the unlinked_statements rule, the statements of no learner.
    Index(None, "learner_id", "timestamp"),
    # GET /statements pages through stored order.
    Index(None, "stored_at", "id"),
)

# GET /statements: the statements whose object is a StatementRef to a given statement (they
# match a filter when their target does). Only objects of a statement id's length (an IRI has a
# colon, a UUID none, so most statements are left out) and in lower case, as statement ids are
# stored (a StatementRef's id is kept as the client wrote it). SQLite cannot reflect an index on
# an expression: tests/integration/test_migrations.py compares it on PostgreSQL only.
Index(
    "ix_activity_statement_statement_ref",
    func.lower(activity_statement.c.object_id),
    postgresql_where=func.length(activity_statement.c.object_id) == 36,
    sqlite_where=func.length(activity_statement.c.object_id) == 36,
)

# Every agent a statement names besides its actor and authority, by pseudonym and place
# (``object``, ``actor.member``, ``context.instructor``, ``object.actor`` in a sub-statement...,
# as domain/xapi/pseudonyms.py ``agents_in`` names them). Most statements have none.
statement_agent = Table(
    "statement_agent",
    metadata,
    Column(
        "statement_id",
        ForeignKey("activity_statement.statement_id"),
        primary_key=True,
        info=personal("activity"),
    ),
    Column("place", String(40), primary_key=True, info=not_personal("place in a statement")),
    Column(
        "name", String(LOOKUP_LENGTH), primary_key=True, index=True, info=keyed_lookup("activity")
    ),
)

# What survives of activity when a policy says "anonymise": counts per activity, verb and month,
# with no link to any person.
activity_count = Table(
    "activity_count",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("object_id", String(2048), nullable=False, info=AGGREGATE),
    Column("verb", String(255), nullable=False, info=AGGREGATE),
    Column("month", Date, nullable=False, info=AGGREGATE),
    Column("statements", Integer, nullable=False, info=AGGREGATE),
    UniqueConstraint("object_id", "verb", "month"),
)

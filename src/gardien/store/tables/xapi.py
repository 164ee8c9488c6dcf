"""The xAPI side: the clients allowed to send statements, and statements about unknown people.

A client (an authoring tool, an LMS) authenticates with HTTP Basic: its ``key`` and a random
secret, of which only the SHA-256 is stored. A secret of 32 random bytes cannot be guessed, so
a fast hash is as safe for it as a slow password hash, and a request pays microseconds for it,
not the hundreds of milliseconds a password hash costs (docs/xapi.md).

A statement whose actor is no known learner is refused, or, when the server is configured to
park them, kept in ``xapi_parked`` as received (it may hold an e-mail address) for as long as
the policy's ``parked_statements`` rule says, until the learner exists and it is replayed.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table

from gardien.store.classify import SURROGATE, keyed_lookup, lookup_column, not_personal, personal
from gardien.store.metadata import metadata
from gardien.store.types import UTCDateTime, json_document

xapi_client = Table(
    "xapi_client",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("name", String(100), nullable=False, unique=True, info=not_personal("software name")),
    Column("key", String(64), nullable=False, unique=True, info=not_personal("client key")),
    Column("secret_sha256", String(64), nullable=False, info=not_personal("secret digest")),
    Column("created_at", UTCDateTime(), nullable=False, info=not_personal("record keeping")),
    Column("revoked_at", UTCDateTime(), nullable=True, info=not_personal("record keeping")),
)

xapi_parked = Table(
    "xapi_parked",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    # Clock of the parked-statements rule.
    Column("received_at", UTCDateTime(), nullable=False, index=True, info=personal("activity")),
    Column("client_id", ForeignKey("xapi_client.id"), nullable=False, info=not_personal("client")),
    # Before migration 0007: SHA-256 of the actor's identifier (mailto:, mbox_sha1sum, account).
    Column("actor_digest", String(64), nullable=True, index=True, info=keyed_lookup("activity")),
    # Keyed lookup of the actor's identifier: how the person's export, erasure and a learner
    # who appears later find the statement (domain/lookup.py).
    lookup_column("activity", "actor_lookup"),
    Column("statement", json_document(), nullable=False, info=personal("activity")),
)

"""The xAPI side: the clients allowed to send statements.

A client (an authoring tool, an LMS) authenticates with HTTP Basic: its ``key`` and a random
secret, of which only the SHA-256 is stored. A secret of 32 random bytes cannot be guessed, so
a fast hash is as safe for it as a slow password hash, and a request pays microseconds for it,
not the hundreds of milliseconds a password hash costs (docs/xapi.md).

Statements themselves are in ``activity_statement`` (store/tables/learning.py), whoever their
actor is: every agent pseudonymised (docs/xapi.md). Migration 0009 moved there the statements
that earlier versions parked, as received, in a table of their own.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table

from gardien.store.classify import SURROGATE, not_personal
from gardien.store.metadata import metadata
from gardien.store.types import UTCDateTime

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

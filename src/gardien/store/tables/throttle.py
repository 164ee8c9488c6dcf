"""Throttle counters: how often a client tried a form or a sign-in, shared by every worker.

A row is one counter (``domain/throttle.py``): the hits in its current window and, while a
client must wait, until when. It is named by ``key_hash``, a keyed hash (HMAC-SHA-256 under a
key derived from the server secret) of what it counts: a form and an address, a form and a
client's IP address, a sign-in's address and client. No address and no IP address is stored;
without the key the hash says nothing, but with it an address can be confirmed, so the rows are
pseudonymous personal data of the ``security`` category, deleted the day after they stop
mattering (rule ``throttle_counters``, clock ``lapsed`` on ``expires_at``).
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Integer, String, Table

from gardien.store.classify import SURROGATE, personal
from gardien.store.metadata import metadata
from gardien.store.types import UTCDateTime

SECURITY = personal("security")

throttle_counter = Table(
    "throttle_counter",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    # 64 hex digits of HMAC-SHA-256: the counter's name, never what it counts.
    Column("key_hash", String(64), nullable=False, unique=True, info=SECURITY),
    Column("window_start", UTCDateTime(), nullable=False, info=SECURITY),
    Column("hits", Integer, nullable=False, info=SECURITY),
    Column("blocked_until", UTCDateTime(), nullable=True, info=SECURITY),
    # max(window end, blocked_until): the clock of the throttle_counters rule.
    Column("expires_at", UTCDateTime(), nullable=False, index=True, info=SECURITY),
    CheckConstraint("hits >= 0", name="hits_not_negative"),
)

"""xAPI clients (an authoring tool, an LMS) and checking their HTTP Basic credentials.

A client's secret is 32 random bytes, shown once; only its SHA-256 is stored. Such a secret
cannot be guessed, so a fast hash protects it as well as a slow password hash would, and a
request pays microseconds for the check. Verified credentials are also remembered in memory
for a minute (as a digest, never the secret), so a busy client costs one dictionary lookup.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from time import monotonic

from sqlalchemy import Engine

from gardien.domain.clock import Clock
from gardien.errors import InvalidInputError
from gardien.store import xapi as store
from gardien.store.uow import UnitOfWork

CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class NewClient:
    """A client just created: its key and its secret (shown once, never stored)."""

    name: str
    key: str
    secret: str


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_client(uow: UnitOfWork, *, name: str, clock: Clock) -> NewClient:
    """Register a client named ``name``; its credentials.

    Raises :class:`InvalidInputError` for an empty or long name, or one another client has
    (a revoked client keeps its name, so the name in a stored statement's authority stays
    unambiguous).
    """
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInputError("a client needs a name of 1 to 100 characters", field="name")
    key = f"gardien-{secrets.token_hex(8)}"
    secret = secrets.token_urlsafe(32)
    with uow:
        if store.client_name_taken(uow.connection, name):
            raise InvalidInputError(
                f"a client named {name!r} exists already (revoked clients keep their name)",
                field="name",
            )
        store.add_client(
            uow.connection,
            name=name,
            key=key,
            secret_sha256=secret_digest(secret),
            now=clock.now(),
        )
        uow.commit()
    return NewClient(name=name, key=key, secret=secret)


class Authenticator:
    """Checks ``Authorization: Basic`` headers against the clients, with a short memory."""

    def __init__(self, engine: Engine, *, cache_seconds: float = CACHE_SECONDS) -> None:
        self._engine = engine
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[store.Client, float]] = {}
        self._lock = threading.Lock()

    def client(self, authorization: str | None) -> store.Client | None:
        """The client the header authenticates, or None."""
        if not authorization:
            return None
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        key, colon, secret = decoded.partition(":")
        if not colon:
            return None
        digest = secret_digest(secret)
        now = monotonic()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[1] > now:
            client = cached[0]
        else:
            with self._engine.connect() as connection:
                found = store.client_by_key(connection, key)
            if found is None:
                return None
            client = found
            with self._lock:
                self._cache[key] = (client, now + self._cache_seconds)
        if not hmac.compare_digest(digest, client.secret_sha256):
            return None
        return client

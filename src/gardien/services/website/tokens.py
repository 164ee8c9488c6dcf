"""Signed links for the newsletter: confirm a subscription, unsubscribe from it.

A token names one subscription (its id), the address it was sent to (as a digest, so that no
address travels in a URL) and, for confirmation links, the last day it is valid. It is signed
with HMAC-SHA-256 under a key derived from ``GARDIEN_SECRET_KEY`` and the token's purpose, so:

- a token cannot be forged or edited (any change breaks the signature);
- a confirmation token cannot serve as an unsubscribe token, or the reverse;
- a token cannot be turned against another address: the service compares the digest with the
  address the subscription holds now (:func:`gardien.services.website.newsletter`).

Layout: ``base64url(JSON [version, id, address digest, last valid day or null])``, a dot,
``base64url(MAC)``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import orjson

from gardien.errors import ExpiredLinkError, InvalidLinkError

_VERSION = 1


class Purpose(StrEnum):
    CONFIRM = "newsletter-confirm"
    UNSUBSCRIBE = "newsletter-unsubscribe"


@dataclass(frozen=True)
class Claims:
    """What a valid token says: which subscription, for which address (digest)."""

    subscription_id: int
    address_digest: str


def address_digest(email: str) -> str:
    """A short digest of an address (lower-cased), as tokens carry it."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _key(secret: str, purpose: Purpose) -> bytes:
    return hmac.new(secret.encode(), f"gardien/{purpose.value}".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(
    secret: str,
    purpose: Purpose,
    *,
    subscription_id: int,
    email: str,
    valid_until: date | None = None,
) -> str:
    """A signed token for ``purpose``; ``valid_until`` is the last day it is accepted."""
    payload = orjson.dumps(
        [
            _VERSION,
            subscription_id,
            address_digest(email),
            valid_until.isoformat() if valid_until else None,
        ]
    )
    body = _b64(payload)
    mac = hmac.new(_key(secret, purpose), body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def read_token(secret: str, purpose: Purpose, token: str, *, today: date) -> Claims:
    """The claims of a genuine, unexpired ``token``.

    Raises :class:`InvalidLinkError` for anything not signed by us for this purpose, and
    :class:`ExpiredLinkError` for a genuine token past its last valid day.
    """
    body, dot, mac_text = token.partition(".")
    if not dot or not body or not mac_text or len(token) > 512 or not token.isascii():
        raise InvalidLinkError("malformed token")
    try:
        mac = _unb64(mac_text)
    except (ValueError, TypeError):
        raise InvalidLinkError("malformed token") from None
    expected = hmac.new(_key(secret, purpose), body.encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        raise InvalidLinkError("bad signature")
    try:
        version, subscription_id, digest, until = orjson.loads(_unb64(body))
    except (ValueError, TypeError):
        raise InvalidLinkError("malformed payload") from None
    if version != _VERSION or not isinstance(subscription_id, int) or not isinstance(digest, str):
        raise InvalidLinkError("unknown payload")
    if until is not None and today > date.fromisoformat(until):
        raise ExpiredLinkError("link expired")
    return Claims(subscription_id, digest)

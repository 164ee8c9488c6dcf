"""Signed, single-purpose tokens for the links gardien puts in e-mails.

A token is ``base64url(JSON payload)``, a dot, ``base64url(HMAC-SHA-256)``. The MAC key is
derived from ``GARDIEN_SECRET_KEY`` and the token's purpose, so a token made for one purpose
(confirm a subscription, reset a password, verify a request) is worthless for another. The
payload is a JSON array the caller defines; its first item is a format version. Tokens never
carry an e-mail address in clear: callers put a digest of it (:func:`address_digest`). A
token has one spelling only, so its digest names it (single-use links rely on that).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

import orjson

from gardien.errors import InvalidLinkError

MAX_TOKEN_LENGTH = 512


def address_digest(email: str) -> str:
    """A short digest of an address (lower-cased), as tokens carry it."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"gardien/{purpose}".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: str, purpose: str, payload: Sequence[Any]) -> str:
    """A token carrying ``payload`` (JSON data), signed for ``purpose``."""
    body = _b64(orjson.dumps(list(payload)))
    mac = hmac.new(_key(secret, purpose), body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def unsign(secret: str, purpose: str, token: str) -> list[Any]:
    """The payload of a token we signed for ``purpose``; :class:`InvalidLinkError` otherwise."""
    body, dot, mac_text = token.partition(".")
    if not dot or not body or not mac_text or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise InvalidLinkError("malformed token")
    expected = hmac.new(_key(secret, purpose), body.encode("ascii"), hashlib.sha256).digest()
    # Compared as text, not as decoded bytes: base64 decoders accept padding and ignore the last
    # character's spare bits, and a token spelt two ways would digest two ways (a request link
    # is single-use by its digest).
    if not hmac.compare_digest(mac_text, _b64(expected)):
        raise InvalidLinkError("bad signature")
    try:
        payload = orjson.loads(_unb64(body))
    except (ValueError, TypeError):
        raise InvalidLinkError("malformed payload") from None
    if not isinstance(payload, list) or not payload:
        raise InvalidLinkError("unknown payload")
    return payload

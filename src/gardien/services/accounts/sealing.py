"""Secrets kept in the database sealed with AES-256-GCM: the TOTP secrets of DPO and admin
accounts. A dump of the database alone does not give anyone the second factor.

The key is derived from ``GARDIEN_SECRET_KEY`` and the purpose (HMAC-SHA-256); the purpose is
also the AEAD's associated data, so a value sealed for one use cannot be opened as another.
Layout: ``v1.`` then base64url(12-byte nonce ‖ ciphertext ‖ 16-byte tag). Changing the secret
key makes sealed values unreadable: DPO and admin then set up their second factor again
(docs/accounts.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gardien.errors import AuthenticationError

_PREFIX = "v1."


def _key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"gardien/seal/{purpose}".encode(), hashlib.sha256).digest()


def seal(secret: str, purpose: str, value: str) -> str:
    """``value`` encrypted and authenticated for ``purpose``."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key(secret, purpose)).encrypt(nonce, value.encode(), purpose.encode())
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(secret: str, purpose: str, sealed: str) -> str:
    """The value :func:`seal` sealed; :class:`AuthenticationError` if it cannot be opened
    (another key, another purpose, or a changed value)."""
    if not sealed.startswith(_PREFIX):
        raise AuthenticationError("a sealed secret has an unknown format")
    try:
        raw = base64.urlsafe_b64decode(sealed[len(_PREFIX) :])
        opened = AESGCM(_key(secret, purpose)).decrypt(raw[:12], raw[12:], purpose.encode())
    except (InvalidTag, ValueError):
        raise AuthenticationError("a sealed secret cannot be opened with this key") from None
    return opened.decode()

"""The signed links of accounts: invitation (activation) and password reset.

An invitation names the account and its address (digest) and lasts
:data:`INVITATION_VALIDITY`; it works only while the account has no password and is not
deactivated, and only the latest one sent: it carries a fingerprint of the random nonce drawn
for it (``account.invitation_nonce``), so sending it again makes the previous link
worthless. A reset link also carries a fingerprint of the current password hash, so it works
once: the new password changes the fingerprint. It lasts :data:`RESET_VALIDITY`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from gardien.errors import ExpiredLinkError, InvalidLinkError
from gardien.services.signing import address_digest, sign, unsign

INVITATION_VALIDITY = timedelta(days=14)
RESET_VALIDITY = timedelta(hours=1)
_VERSION = 1


class LinkPurpose(StrEnum):
    ACTIVATE = "account-activate"
    RESET = "password-reset"


@dataclass(frozen=True)
class LinkClaims:
    """What a genuine, unexpired link says."""

    account_id: int
    address_digest: str
    fingerprint: str


def password_fingerprint(password_hash: str | None) -> str:
    """A short digest of the stored hash ("" when none): changes with every new password."""
    if password_hash is None:
        return ""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def nonce_fingerprint(nonce: str | None) -> str:
    """A short digest of an invitation's nonce ("" for one sent before nonces existed)."""
    if nonce is None:
        return ""
    return hashlib.sha256(nonce.encode()).hexdigest()[:16]


def make_link(
    secret: str,
    purpose: LinkPurpose,
    *,
    account_id: int,
    email: str,
    expires_at: datetime,
    password_hash: str | None = None,
    nonce: str | None = None,
) -> str:
    """A signed link: a reset one bound to ``password_hash``, an invitation to ``nonce``."""
    fingerprint = (
        password_fingerprint(password_hash)
        if purpose is LinkPurpose.RESET
        else nonce_fingerprint(nonce)
    )
    payload = [
        _VERSION,
        account_id,
        address_digest(email),
        int(expires_at.timestamp()),
        fingerprint,
    ]
    return sign(secret, purpose.value, payload)


def read_link(secret: str, purpose: LinkPurpose, token: str, *, now: datetime) -> LinkClaims:
    """The claims of a genuine link; :class:`ExpiredLinkError` past its end."""
    payload = unsign(secret, purpose.value, token)
    if len(payload) != 5 or payload[0] != _VERSION:
        raise InvalidLinkError("unknown payload")
    _version, account_id, digest, expires, fingerprint = payload
    if not (isinstance(account_id, int) and isinstance(digest, str) and isinstance(expires, int)):
        raise InvalidLinkError("unknown payload")
    if not isinstance(fingerprint, str):
        raise InvalidLinkError("unknown payload")
    if now.timestamp() > expires:
        raise ExpiredLinkError("link expired")
    return LinkClaims(account_id, digest, fingerprint)

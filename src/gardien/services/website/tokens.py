"""Signed links for the newsletter: confirm a subscription, unsubscribe from it.

A token names one subscription (its id), the address it was sent to (as a digest, so that no
address travels in a URL) and, for confirmation links, the last day it is valid. It is signed
with HMAC-SHA-256 under a key derived from ``GARDIEN_SECRET_KEY`` and the token's purpose, so:

- a token cannot be forged or edited (any change breaks the signature);
- a confirmation token cannot serve as an unsubscribe token, or the reverse;
- a token cannot be turned against another address: the service compares the digest with the
  address the subscription holds now (:func:`gardien.services.website.newsletter`).

Payload (:mod:`gardien.services.signing`): ``[version, id, address digest, last valid day
or null]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from gardien.errors import ExpiredLinkError, InvalidLinkError
from gardien.services.signing import address_digest, sign, unsign

_VERSION = 1


class Purpose(StrEnum):
    CONFIRM = "newsletter-confirm"
    UNSUBSCRIBE = "newsletter-unsubscribe"


@dataclass(frozen=True)
class Claims:
    """What a valid token says: which subscription, for which address (digest)."""

    subscription_id: int
    address_digest: str


def make_token(
    secret: str,
    purpose: Purpose,
    *,
    subscription_id: int,
    email: str,
    valid_until: date | None = None,
) -> str:
    """A signed token for ``purpose``; ``valid_until`` is the last day it is accepted."""
    payload = [
        _VERSION,
        subscription_id,
        address_digest(email),
        valid_until.isoformat() if valid_until else None,
    ]
    return sign(secret, purpose.value, payload)


def read_token(secret: str, purpose: Purpose, token: str, *, today: date) -> Claims:
    """The claims of a genuine, unexpired ``token``.

    Raises :class:`InvalidLinkError` for anything not signed by us for this purpose, and
    :class:`ExpiredLinkError` for a genuine token past its last valid day.
    """
    payload = unsign(secret, purpose.value, token)
    if len(payload) != 4:
        raise InvalidLinkError("unknown payload")
    version, subscription_id, digest, until = payload
    if version != _VERSION or not isinstance(subscription_id, int) or not isinstance(digest, str):
        raise InvalidLinkError("unknown payload")
    if until is not None and today > date.fromisoformat(until):
        raise ExpiredLinkError("link expired")
    return Claims(subscription_id, digest)

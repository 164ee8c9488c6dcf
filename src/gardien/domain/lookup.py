"""Keyed lookups: find a person's kept records by address without keeping the address.

When a record outlives its person under a legal duty (an OPCO dossier, an invoice, an entry
of the disclosure log) it loses its link to the learner; the person must still be able to
find it (right of access, GDPR art. 15). The record keeps a *keyed lookup* of the person's
normalised address: HMAC-SHA-256 under a key derived from the server secret. A plain hash
would not do: addresses are guessable, so anyone holding the table could confirm an address
by hashing a dictionary of them. Without the key, the lookup says nothing.

A lookup reads ``<key id>:<hex digest>``. The key id (8 hex digits, itself derived from the
key) tells which key wrote the row, so that a retired key can be kept for finding old rows
and dropped once no row names it any more (docs/subject-lookup.md).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

LOOKUP_LENGTH = 73  # 8 hex digits, a colon, 64 hex digits
_PURPOSE = b"gardien/subject-lookup/v1"


def normalise_address(address: str) -> str:
    """An address as records store it and lookups hash it: trimmed, lower-cased."""
    return address.strip().lower()


@dataclass(frozen=True)
class _Key:
    material: bytes
    ident: str


def _derive(secret: str) -> _Key:
    material = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()
    ident = hmac.new(material, b"key id", hashlib.sha256).hexdigest()[:8]
    return _Key(material, ident)


class SubjectLookup:
    """Computes keyed lookups of addresses: one current key, and retired keys for finding.

    ``SubjectLookup("current secret", previous=["retired secret"])``: new rows are written
    under the current key; rows written under a retired one are still found.
    """

    def __init__(self, secret: str, *, previous: Sequence[str] = ()) -> None:
        if not secret:
            raise ValueError("a subject lookup needs a non-empty secret")
        self._current = _derive(secret)
        self._all = (self._current, *(_derive(old) for old in previous if old))

    def __repr__(self) -> str:
        return f"SubjectLookup(key_id={self._current.ident!r})"

    @property
    def key_id(self) -> str:
        """The id of the key new lookups are written under."""
        return self._current.ident

    def of(self, identifier: str) -> str:
        """The lookup of ``identifier`` (an address, normalised here) under the current key."""
        return _digest(self._current, normalise_address(identifier))

    def candidates(self, identifier: str) -> list[str]:
        """Every lookup ``identifier`` may have been written under: current and retired keys."""
        text = normalise_address(identifier)
        return [_digest(key, text) for key in self._all]


def _digest(key: _Key, text: str) -> str:
    mac = hmac.new(key.material, text.encode(), hashlib.sha256).hexdigest()
    return f"{key.ident}:{mac}"

"""How xAPI names a person, as text: the key of an actor, for lookups and for parking.

An agent is named by its ``mbox`` (``mailto:`` address), its ``mbox_sha1sum`` (SHA-1 of that
``mailto:`` IRI) or an ``account``. Written as ``email:<address>``, ``sha1:<hex>`` or
``pseudonym:<name>`` (an account on gardien's own home page), one person's identifiers can be
listed from their address alone, which is how their export and erasure find statements that
named them before they were a learner.
"""

from __future__ import annotations

import hashlib

from gardien.domain.lookup import normalise_address


def mbox_sha1sum(address: str) -> str:
    """The ``mbox_sha1sum`` of an address: SHA-1 of its ``mailto:`` IRI, in hex."""
    digest = hashlib.sha1(f"mailto:{normalise_address(address)}".encode(), usedforsecurity=False)
    return digest.hexdigest()


def identifier_text(kind: str, value: str) -> str:
    """An actor key (``("email", address)``, ``("sha1", hex)``...) as one line of text."""
    return f"{kind}:{value}"


def identifiers_of(address: str) -> list[str]:
    """Every identifier text an agent naming ``address`` may have: mbox and mbox_sha1sum."""
    text = normalise_address(address)
    return [identifier_text("email", text), identifier_text("sha1", mbox_sha1sum(text))]


def legacy_digest(identifier: str) -> str:
    """The unkeyed SHA-256 that statements parked before migration 0007 were filed under."""
    return hashlib.sha256(identifier.encode()).hexdigest()

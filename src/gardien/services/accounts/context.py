"""What the account use cases need from their surroundings, built once by ``bootstrap``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gardien.domain.clock import Clock
from gardien.domain.lookup import SubjectLookup
from gardien.policy import Policy
from gardien.services.accounts.breached import BreachedPasswords
from gardien.services.accounts.passwords import PasswordHasher
from gardien.services.accounts.sessions import SessionTimeouts
from gardien.store.blobs import BlobStore
from gardien.store.erasure_ledger import ErasureLedger

# Pages of the site, per language: where the links of the e-mails lead.
PREFIXES = {"fr": "", "en": "/en"}


@dataclass(frozen=True)
class AccountServices:
    """Policy, time, signing key, public URL, password hashing and checking, timeouts."""

    policy: Policy
    clock: Clock
    secret: str
    public_url: str
    hasher: PasswordHasher
    breached: BreachedPasswords
    # Keyed lookups of addresses: how erasure and export reach what outlives a learner.
    lookup: SubjectLookup
    timeouts: SessionTimeouts = field(default_factory=SessionTimeouts)
    # Attachment content, deleted when an erasure takes its last statement.
    blobs: BlobStore | None = None
    # Where every erasure is also written, outside the database (docs/backups.md).
    ledger: ErasureLedger | None = None

    def url(self, lang: str, path: str) -> str:
        return f"{self.public_url.rstrip('/')}{PREFIXES[lang]}{path}"

    def now(self) -> datetime:
        return self.clock.now()

"""The erasure ledger: every erasure, written outside the database, so that a restore keeps it.

A backup taken before an erasure holds the person again; restoring it would bring them back.
Each erasure therefore also writes one entry here, in a folder or an S3-compatible bucket that
backups do not hold, and ``gardien erasure replay`` re-applies the entries a restored database
has not applied (docs/backups.md).

An entry is one small JSON object, named by its id, and holds keyed pseudonyms only: the keyed
lookups of the address (``SubjectLookup.candidates``) and of its xAPI identifier, never the
address, a name or any other field. Entries are kept apart by the *lineage* of the database
that wrote them (``erasure_lineage``: a random id every backup of the database carries, and a
new database does not), so a fresh database is never held to another's erasures. Entries are
never rewritten: a file is created with
``O_EXCL``, an object with a conditional put (``If-None-Match: *``), and the id carries 16
random bytes, so two writers never pick the same name.

- :class:`FileErasureLedger`: one file per entry under ``GARDIEN_ERASURE_LEDGER_DIR``, in a
  folder per lineage.
- :class:`S3ErasureLedger`: one object per entry under ``<prefix><lineage>/`` in
  ``GARDIEN_ERASURE_LEDGER_S3_BUCKET``.

Every failure is an :class:`~gardien.errors.ErasureLedgerError` naming the entry, never a person.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from gardien.errors import ErasureLedgerError
from gardien.store.s3 import S3Objects, s3_reason, s3_status

if TYPE_CHECKING:
    from gardien.settings import Settings

# <UTC instant, to the microsecond>-<32 hex digits>: sorts by time, unique by its random part.
_ENTRY_ID = re.compile(r"\d{8}T\d{12}Z-[0-9a-f]{32}")
_LINEAGE = re.compile(r"[0-9a-f]{32}")
_SUFFIX = ".json"
S3_PREFIX = "erasure-ledger/"
# An erasure, a newsletter unsubscription (a withdrawn consent), an objection to commercial
# communication: a person's will, which a restore must not undo.
ERASURE = "erasure"
UNSUBSCRIBE = "unsubscribe"
OBJECTION = "objection"
KINDS = (ERASURE, UNSUBSCRIBE, OBJECTION)
IDENTITY_CHECKS = ("session", "email_link")


@dataclass(frozen=True)
class LedgerEntry:
    """One erasure as the ledger keeps it: when, and the keyed pseudonyms of the person."""

    id: str
    recorded_at: datetime
    lookups: tuple[str, ...]
    agent_names: tuple[str, ...]
    kind: str = ERASURE
    # An objection: how the person proved the address was theirs ("session", "email_link").
    identity_check: str | None = None

    def as_bytes(self) -> bytes:
        data: dict[str, object] = {
            "id": self.id,
            "kind": self.kind,
            "recorded_at": self.recorded_at.isoformat(),
            "lookups": list(self.lookups),
            "agent_names": list(self.agent_names),
        }
        if self.identity_check is not None:
            data["identity_check"] = self.identity_check
        return json.dumps(data, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> LedgerEntry:
        try:
            raw = json.loads(data)
            entry = cls(
                id=str(raw["id"]),
                kind=str(raw["kind"]),
                recorded_at=datetime.fromisoformat(str(raw["recorded_at"])),
                lookups=tuple(str(item) for item in raw["lookups"]),
                agent_names=tuple(str(item) for item in raw["agent_names"]),
                identity_check=raw.get("identity_check"),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ErasureLedgerError(f"ledger entry {name} cannot be read") from None
        if entry.identity_check not in (None, *IDENTITY_CHECKS):
            raise ErasureLedgerError(f"ledger entry {name} cannot be read")
        if entry.id != name or entry.kind not in KINDS:
            raise ErasureLedgerError(f"ledger entry {name} does not name itself")
        return entry


def new_entry(
    *,
    now: datetime,
    lookups: tuple[str, ...],
    agent_names: tuple[str, ...] = (),
    kind: str = ERASURE,
    identity_check: str | None = None,
) -> LedgerEntry:
    """A new entry recorded ``now``, with an id no other entry has."""
    if kind not in KINDS:
        raise ErasureLedgerError(f"no ledger entry of kind {kind!r}")
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return LedgerEntry(
        id=f"{stamp}-{secrets.token_hex(16)}",
        recorded_at=now,
        lookups=lookups,
        agent_names=agent_names,
        kind=kind,
        identity_check=identity_check,
    )


def checked_id(name: str) -> str:
    if not _ENTRY_ID.fullmatch(name):
        raise ErasureLedgerError("a ledger entry id reads <UTC instant>-<32 hex digits>")
    return name


def checked_lineage(lineage: str) -> str:
    if not _LINEAGE.fullmatch(lineage):
        raise ErasureLedgerError("a database lineage id is 32 hex digits")
    return lineage


class ErasureLedger(Protocol):
    """Append-only: ``append`` never replaces an entry; ``ids`` lists a lineage's entries,
    oldest first, without reading them."""

    def append(self, lineage: str, entry: LedgerEntry) -> None: ...

    def ids(self, lineage: str) -> Iterator[str]: ...

    def read(self, lineage: str, entry_id: str) -> LedgerEntry: ...

    def lineages(self) -> list[str]: ...

    @property
    def where(self) -> str: ...


class FileErasureLedger:
    """Entries as files under ``root`` (created owner-only when first written)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def where(self) -> str:
        return str(self.root)

    def _folder(self, lineage: str) -> Path:
        return self.root / checked_lineage(lineage)

    def append(self, lineage: str, entry: LedgerEntry) -> None:
        folder = self._folder(lineage)
        path = folder / (checked_id(entry.id) + _SUFFIX)
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            # O_EXCL: an existing entry is never opened for writing, let alone replaced.
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(handle, "wb") as file:
                file.write(entry.as_bytes())
                file.flush()
                os.fsync(file.fileno())
            directory = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(directory)  # the new name survives a crash too
            finally:
                os.close(directory)
        except FileExistsError:
            raise ErasureLedgerError(f"ledger entry {entry.id} exists already") from None
        except OSError as error:
            raise ErasureLedgerError(f"writing ledger entry {entry.id}: {error.strerror}") from None

    def ids(self, lineage: str) -> Iterator[str]:
        try:
            names = sorted(os.listdir(self._folder(lineage)))
        except FileNotFoundError:
            return
        except OSError as error:
            raise ErasureLedgerError(f"listing the ledger: {error.strerror}") from None
        for name in names:
            stem = name.removesuffix(_SUFFIX)
            if name.endswith(_SUFFIX) and _ENTRY_ID.fullmatch(stem):
                yield stem

    def lineages(self) -> list[str]:
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            return []
        except OSError as error:
            raise ErasureLedgerError(f"listing the ledger: {error.strerror}") from None
        return sorted(name for name in names if _LINEAGE.fullmatch(name))

    def read(self, lineage: str, entry_id: str) -> LedgerEntry:
        path = self._folder(lineage) / (checked_id(entry_id) + _SUFFIX)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ErasureLedgerError(f"reading ledger entry {entry_id}: {error.strerror}") from None
        return LedgerEntry.from_bytes(entry_id, data)


class S3ErasureLedger(S3Objects):
    """Entries as objects of ``bucket`` under ``prefix`` on an S3-compatible service."""

    def __init__(self, client: Callable[[], Any], bucket: str, *, prefix: str = S3_PREFIX) -> None:
        super().__init__(client, bucket, prefix=prefix)

    def _key(self, lineage: str, entry_id: str) -> str:
        return f"{self.prefix}{checked_lineage(lineage)}/{checked_id(entry_id)}{_SUFFIX}"

    def append(self, lineage: str, entry: LedgerEntry) -> None:
        key = self._key(lineage, entry.id)
        try:
            # Conditional put: the service refuses (412) to replace an object that exists.
            self._client.put_object(
                Bucket=self.bucket, Key=key, Body=entry.as_bytes(), IfNoneMatch="*"
            )
        except self._failures as error:
            if s3_status(error) == 412:
                raise ErasureLedgerError(f"ledger entry {entry.id} exists already") from None
            raise ErasureLedgerError(
                f"writing ledger entry {entry.id}: {s3_reason(error)}"
            ) from None

    def ids(self, lineage: str) -> Iterator[str]:
        prefix = f"{self.prefix}{checked_lineage(lineage)}/"
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    stem = str(item["Key"])[len(prefix) :].removesuffix(_SUFFIX)
                    if _ENTRY_ID.fullmatch(stem):
                        yield stem
        except self._failures as error:
            raise ErasureLedgerError(f"listing the ledger: {s3_reason(error)}") from None

    def lineages(self) -> list[str]:
        found: list[str] = []
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix, Delimiter="/"
            )
            for page in pages:
                for item in page.get("CommonPrefixes", []):
                    name = str(item["Prefix"])[len(self.prefix) :].rstrip("/")
                    if _LINEAGE.fullmatch(name):
                        found.append(name)
        except self._failures as error:
            raise ErasureLedgerError(f"listing the ledger: {s3_reason(error)}") from None
        return sorted(found)

    def read(self, lineage: str, entry_id: str) -> LedgerEntry:
        key = self._key(lineage, entry_id)
        try:
            data: bytes = self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self._failures as error:
            raise ErasureLedgerError(
                f"reading ledger entry {entry_id}: {s3_reason(error)}"
            ) from None
        return LedgerEntry.from_bytes(entry_id, data)


def open_erasure_ledger(settings: Settings) -> ErasureLedger:
    """The S3-compatible ledger when ``GARDIEN_ERASURE_LEDGER_S3_BUCKET`` is set, else files."""
    if settings.erasure_ledger_s3_bucket:
        from gardien.store.offsite import offsite_s3_client

        return S3ErasureLedger(
            partial(offsite_s3_client, settings),
            settings.erasure_ledger_s3_bucket,
            prefix=settings.erasure_ledger_s3_prefix,
        )
    return FileErasureLedger(settings.erasure_ledger_directory)

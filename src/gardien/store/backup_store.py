"""Where encrypted backups go: a folder, or an S3-compatible bucket.

A backup is named ``gardien-<UTC instant>-<schema revision>.gbak``: listing them says when each
was taken and at which revision without opening one. Files are written to a temporary name and
renamed, objects uploaded whole (multipart for large ones): a listing never shows half a backup.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from gardien.errors import BackupError
from gardien.store.s3 import S3Objects, s3_reason, s3_status

if TYPE_CHECKING:
    from gardien.settings import Settings

_NAME = re.compile(r"gardien-(\d{8}T\d{6}Z)-([0-9A-Za-z_]{1,32})\.gbak")
_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class BackupInfo:
    """One backup as a listing shows it."""

    name: str
    taken_at: datetime
    revision: str
    size: int


def backup_name(taken_at: datetime, revision: str) -> str:
    """The name of a backup taken at ``taken_at`` of a database at ``revision``."""
    name = f"gardien-{taken_at.astimezone(UTC).strftime(_STAMP)}-{revision}.gbak"
    if not _NAME.fullmatch(name):
        raise BackupError(f"cannot name a backup at revision {revision!r}")
    return name


def parse_name(name: str, size: int) -> BackupInfo | None:
    """The backup a name stands for, or None for anything else in the folder or bucket."""
    match = _NAME.fullmatch(name)
    if match is None:
        return None
    taken_at = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
    return BackupInfo(name=name, taken_at=taken_at, revision=match.group(2), size=size)


def checked_name(name: str) -> str:
    if _NAME.fullmatch(name) is None:
        raise BackupError(f"{name!r} is not the name of a backup (gardien-<instant>-<rev>.gbak)")
    return name


class BackupStore(Protocol):
    """Encrypted backup files by name, oldest first in :meth:`list`."""

    @property
    def where(self) -> str: ...

    def put(self, name: str, source: Path) -> None: ...

    def list(self) -> list[BackupInfo]: ...

    def fetch(self, name: str, target: Path) -> None: ...

    def delete(self, name: str) -> None: ...


class FileBackupStore:
    """Backups as files under ``root`` (created owner-only)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def where(self) -> str:
        return str(self.root)

    def put(self, name: str, source: Path) -> None:
        target = self.root / checked_name(name)
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".part-")
            try:
                with os.fdopen(handle, "wb") as out, source.open("rb") as data:
                    shutil.copyfileobj(data, out, 1 << 20)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise BackupError(f"writing backup {name}: {error.strerror}") from None

    def list(self) -> list[BackupInfo]:
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return []
        except OSError as error:
            raise BackupError(f"listing backups in {self.root}: {error.strerror}") from None
        found = [parse_name(e.name, e.stat().st_size) for e in entries if e.is_file()]
        return sorted((info for info in found if info), key=lambda info: info.name)

    def fetch(self, name: str, target: Path) -> None:
        source = self.root / checked_name(name)
        try:
            shutil.copyfile(source, target)
        except FileNotFoundError:
            raise BackupError(f"no backup {name} in {self.root}") from None
        except OSError as error:
            raise BackupError(f"reading backup {name}: {error.strerror}") from None

    def delete(self, name: str) -> None:
        try:
            (self.root / checked_name(name)).unlink(missing_ok=True)
        except OSError as error:
            raise BackupError(f"deleting backup {name}: {error.strerror}") from None


class S3BackupStore(S3Objects):
    """Backups as objects of ``bucket`` under ``prefix`` on an S3-compatible service."""

    def put(self, name: str, source: Path) -> None:
        key = self.prefix + checked_name(name)
        try:
            self._client.upload_file(str(source), self.bucket, key)
        except self._failures as error:
            raise BackupError(f"uploading backup {name}: {s3_reason(error)}") from None

    def list(self) -> list[BackupInfo]:
        found: list[BackupInfo] = []
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    info = parse_name(str(item["Key"])[len(self.prefix) :], int(item["Size"]))
                    if info is not None:
                        found.append(info)
        except self._failures as error:
            raise BackupError(f"listing backups in {self.where}: {s3_reason(error)}") from None
        return sorted(found, key=lambda info: info.name)

    def fetch(self, name: str, target: Path) -> None:
        key = self.prefix + checked_name(name)
        try:
            self._client.download_file(self.bucket, key, str(target))
        except self._failures as error:
            if s3_status(error) == 404:
                raise BackupError(f"no backup {name} in {self.where}") from None
            raise BackupError(f"downloading backup {name}: {s3_reason(error)}") from None

    def delete(self, name: str) -> None:
        key = self.prefix + checked_name(name)
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except self._failures as error:
            if s3_status(error) != 404:
                raise BackupError(f"deleting backup {name}: {s3_reason(error)}") from None


def open_backup_store(settings: Settings) -> BackupStore:
    """The S3-compatible store when ``GARDIEN_BACKUP_S3_BUCKET`` is set, else a folder."""
    if settings.backup_s3_bucket:
        from gardien.store.offsite import offsite_s3_client

        return S3BackupStore(
            partial(offsite_s3_client, settings),
            settings.backup_s3_bucket,
            prefix=settings.backup_s3_prefix,
        )
    return FileBackupStore(settings.backup_directory)

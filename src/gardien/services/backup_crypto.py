"""Backup encryption: AES-256-GCM in chunks, under a key that never leaves the configuration.

A backup file reads::

    MAGIC | header length (4 bytes, big-endian) | header (JSON) | chunk | chunk | ... | last chunk

The header says which key made the file (its key id: 8 hex digits derived from the key, which
reveal nothing of it), a random 16-byte salt, when and at which schema revision the backup was
taken. The file key is HKDF-SHA-256(master key, salt): each file has its own, so the chunk
counter can serve as the nonce. Each chunk is 4 bytes of length and at most
:data:`CHUNK` bytes of plaintext sealed by AES-GCM, with the magic and the header as associated
data and a nonce of 11 bytes of counter and one byte that says whether it is the last chunk
(the STREAM construction): a chunk moved, dropped, or the file cut at a chunk's end fails to
decrypt, as does any change to the header. A wrong key is named as such (its key id differs);
a damaged or altered file as such; nothing is ever written out of a chunk that did not verify.

The master key is ``GARDIEN_BACKUP_KEY`` when set, else derived from ``GARDIEN_SECRET_KEY`` with
its own label (so it is never the key that signs links or computes lookups); backups made under
a retired secret (``GARDIEN_PREVIOUS_SECRET_KEYS``) still decrypt (docs/backups.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gardien.errors import BackupError

MAGIC = b"GARDIEN-BACKUP/1\n"
CHUNK = 1 << 20  # 1 MiB of plaintext per chunk
_TAG = 16
_LABEL = b"gardien/backup/v1"
_FILE_LABEL = b"gardien/backup/file/v1"
_MAX_HEADER = 4096
Progress = Callable[[int], None]  # bytes done so far


@dataclass(frozen=True)
class BackupKey:
    """A master key of backups and its id (which names it without revealing it)."""

    material: bytes
    ident: str

    def __repr__(self) -> str:
        return f"BackupKey(ident={self.ident!r})"

    @classmethod
    def from_secret(cls, secret: str) -> BackupKey:
        material = hmac.new(secret.encode(), _LABEL, hashlib.sha256).digest()
        ident = hmac.new(material, b"key id", hashlib.sha256).hexdigest()[:8]
        return cls(material, ident)


def backup_keys(
    *, backup_key: str | None, secret_key: str, previous: Sequence[str] = ()
) -> list[BackupKey]:
    """The keys backups are read with, the one they are written with first.

    ``backup_key`` (``GARDIEN_BACKUP_KEY``) when given, else ``secret_key``; the secret and
    the retired secrets after it, so that a backup made before either change still reads.
    """
    secrets = [backup_key] if backup_key else []
    secrets += [secret_key, *previous]
    keys: dict[str, BackupKey] = {}
    for secret in secrets:
        if secret:
            key = BackupKey.from_secret(secret)
            keys.setdefault(key.ident, key)
    return list(keys.values())


def _file_key(master: BackupKey, salt: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_FILE_LABEL)
    return AESGCM(derived.derive(master.material))


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def encrypt_file(
    source: Path,
    target: IO[bytes],
    *,
    key: BackupKey,
    meta: dict[str, Any],
    progress: Progress | None = None,
) -> None:
    """Write ``source`` to ``target`` encrypted under ``key``, with ``meta`` in the header."""
    salt = os.urandom(16)
    header = json.dumps({**meta, "key_id": key.ident, "salt": salt.hex()}, sort_keys=True)
    header_bytes = header.encode()
    aad = MAGIC + header_bytes
    cipher = _file_key(key, salt)
    target.write(MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes)
    done = 0
    with source.open("rb") as plain:
        chunk = plain.read(CHUNK)
        counter = 0
        while True:
            following = plain.read(CHUNK)
            last = not following
            sealed = cipher.encrypt(_nonce(counter, last), chunk, aad)
            target.write(struct.pack(">I", len(sealed)) + sealed)
            done += len(chunk)
            if progress is not None:
                progress(done)
            if last:
                break
            chunk, counter = following, counter + 1


def read_header(source: IO[bytes], *, name: str) -> tuple[dict[str, Any], bytes]:
    """The header of a backup file and the associated data of its chunks."""
    magic = source.read(len(MAGIC))
    if magic != MAGIC:
        raise BackupError(f"{name} is not a gardien backup (or a newer format)")
    (length,) = struct.unpack(">I", _exactly(source, 4, name))
    if length > _MAX_HEADER:
        raise BackupError(f"{name} is damaged: its header is too long")
    header_bytes = _exactly(source, length, name)
    try:
        header = json.loads(header_bytes)
        if not isinstance(header, dict):
            raise ValueError
    except ValueError:
        raise BackupError(f"{name} is damaged: its header cannot be read") from None
    return header, MAGIC + header_bytes


def decrypt_file(
    source: IO[bytes],
    target: IO[bytes],
    *,
    keys: Sequence[BackupKey],
    name: str,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Decrypt the backup ``source`` into ``target``; return its header.

    Raises :class:`BackupError` for a key that is not among ``keys`` (the message names its id)
    and for a file that does not verify (damaged, altered, cut short). The caller must discard
    ``target`` on any error: it may hold the chunks that verified before the one that did not.
    """
    header, aad = read_header(source, name=name)
    key_id = str(header.get("key_id", ""))
    key = next((k for k in keys if k.ident == key_id), None)
    if key is None:
        known = ", ".join(k.ident for k in keys)
        raise BackupError(
            f"{name} was encrypted under key {key_id}, which is not configured (keys here:"
            f" {known}); wrong key: set GARDIEN_BACKUP_KEY (or GARDIEN_SECRET_KEY) to the key"
            " it was made with"
        )
    try:
        salt = bytes.fromhex(str(header["salt"]))
    except (KeyError, ValueError):
        raise BackupError(f"{name} is damaged: its header has no salt") from None
    cipher = _file_key(key, salt)
    counter = done = 0
    sealed = _next_chunk(source, name)
    while sealed is not None:
        following = _next_chunk(source, name)
        try:
            plain = cipher.decrypt(_nonce(counter, following is None), sealed, aad)
        except InvalidTag:
            raise BackupError(
                f"{name} is damaged or was altered (chunk {counter} does not verify):"
                " nothing of it is restored"
            ) from None
        target.write(plain)
        done += len(plain)
        if progress is not None:
            progress(done)
        sealed, counter = following, counter + 1
    if counter == 0:
        raise BackupError(f"{name} is damaged: it holds no data")
    return header


def _next_chunk(source: IO[bytes], name: str) -> bytes | None:
    size = source.read(4)
    if not size:
        return None
    if len(size) < 4:
        raise BackupError(f"{name} is damaged: it was cut short")
    (length,) = struct.unpack(">I", size)
    if length < _TAG or length > CHUNK + _TAG:
        raise BackupError(f"{name} is damaged: a chunk has an impossible length")
    return _exactly(source, length, name)


def _exactly(source: IO[bytes], length: int, name: str) -> bytes:
    data = source.read(length)
    if len(data) != length:
        raise BackupError(f"{name} is damaged: it was cut short")
    return data

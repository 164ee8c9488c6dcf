"""Backup encryption: what decrypts is exactly what was encrypted, under the right key only;
a wrong key is named as such, and a damaged or altered file gives back nothing."""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import pytest

from gardien.errors import BackupError
from gardien.services.backup_crypto import (
    CHUNK,
    MAGIC,
    BackupKey,
    backup_keys,
    decrypt_file,
    encrypt_file,
)

SECRET = "Vq3xZ9kLm2Np7Rt5Wy8Bc4Df6Gh1Jk0Qs-_AaEeIiOoUu"
OTHER = "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp-_OoNnMmLlKk"
NEEDLE = b"ombeline.kerhervy@example.org"
META = {"taken_at": "2026-05-20T10:00:00+00:00", "revision": "0017", "size": 0}


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    """Two and a half chunks: random bytes around a person's address, twice."""
    path = tmp_path / "db.sqlite3"
    path.write_bytes(os.urandom(CHUNK) + NEEDLE + os.urandom(CHUNK + CHUNK // 2) + NEEDLE)
    return path


def sealed(plain: Path, key: BackupKey) -> bytes:
    out = io.BytesIO()
    encrypt_file(plain, out, key=key, meta=META)
    return out.getvalue()


def opened(data: bytes, keys: list[BackupKey]) -> tuple[dict[str, object], bytes]:
    out = io.BytesIO()
    header = decrypt_file(io.BytesIO(data), out, keys=keys, name="test.gbak")
    return header, out.getvalue()


def test_what_decrypts_is_what_was_encrypted_and_the_file_hides_it(plain: Path) -> None:
    key = BackupKey.from_secret(SECRET)
    data = sealed(plain, key)
    assert data.startswith(MAGIC)
    assert NEEDLE not in data
    header, restored = opened(data, [key])
    assert restored == plain.read_bytes()
    assert header["revision"] == "0017" and header["key_id"] == key.ident


def test_a_wrong_key_is_refused_by_name_and_nothing_is_written(plain: Path) -> None:
    data = sealed(plain, BackupKey.from_secret(SECRET))
    out = io.BytesIO()
    wrong = BackupKey.from_secret(OTHER)
    with pytest.raises(BackupError, match=r"not configured.*wrong key") as refused:
        decrypt_file(io.BytesIO(data), out, keys=[wrong], name="test.gbak")
    assert BackupKey.from_secret(SECRET).ident in str(refused.value)
    assert out.getvalue() == b""


@pytest.mark.parametrize("where", [0.1, 0.5, 0.99])
def test_one_changed_byte_in_the_data_is_refused(plain: Path, where: float) -> None:
    key = BackupKey.from_secret(SECRET)
    data = bytearray(sealed(plain, key))
    position = int(len(data) * where)
    data[position] ^= 0x01
    with pytest.raises(BackupError, match="damaged"):
        opened(bytes(data), [key])


def test_a_changed_header_is_refused(plain: Path) -> None:
    key = BackupKey.from_secret(SECRET)
    data = sealed(plain, key)
    forged = data.replace(b'"revision": "0017"', b'"revision": "0016"')
    assert forged != data
    with pytest.raises(BackupError, match="damaged or was altered"):
        opened(forged, [key])


def test_a_file_cut_at_a_chunk_boundary_is_refused(plain: Path) -> None:
    key = BackupKey.from_secret(SECRET)
    data = sealed(plain, key)
    (header_length,) = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])
    start = len(MAGIC) + 4 + header_length
    (first,) = struct.unpack(">I", data[start : start + 4])
    cut = data[: start + 4 + first]  # the first chunk whole, the others gone
    with pytest.raises(BackupError, match="damaged or was altered"):
        opened(cut, [key])
    with pytest.raises(BackupError, match="cut short"):
        opened(data[:-5], [key])


def test_a_backup_made_under_a_retired_secret_still_decrypts(plain: Path) -> None:
    data = sealed(plain, backup_keys(backup_key=None, secret_key=OTHER)[0])
    keys = backup_keys(backup_key=None, secret_key=SECRET, previous=[OTHER])
    assert keys[0].ident == BackupKey.from_secret(SECRET).ident  # new backups: the new secret
    _, restored = opened(data, keys)
    assert restored == plain.read_bytes()


def test_the_backup_key_wins_over_the_secret_and_is_not_the_secrets_own(plain: Path) -> None:
    keys = backup_keys(backup_key=OTHER, secret_key=SECRET)
    assert [k.ident for k in keys] == [
        BackupKey.from_secret(OTHER).ident,
        BackupKey.from_secret(SECRET).ident,
    ]
    assert keys[0].material != OTHER.encode()  # derived with its own label


def test_not_a_backup_is_said_so() -> None:
    with pytest.raises(BackupError, match="not a gardien backup"):
        opened(b"SQLite format 3\x00" + bytes(100), [BackupKey.from_secret(SECRET)])

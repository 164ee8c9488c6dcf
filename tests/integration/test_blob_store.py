"""The blob store, on files and against an S3-compatible server over HTTP on loopback (moto's
server, a real process): the same contract for both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gardien.errors import BlobStoreError
from gardien.settings import Settings
from gardien.store.blobs import BlobStore, FileBlobStore, S3BlobStore, open_blob_store, sha256_of
from tests.support.s3 import S3Server, running_s3

CONTENT = b"Attestation de fin de formation\n\x00\xff binary too"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    with running_s3() as server:
        yield server


@pytest.fixture(params=["files", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "files":
        return open_blob_store(Settings(blob_dir=tmp_path / "blobs"))
    server: S3Server = request.getfixturevalue("s3_server")
    return open_blob_store(Settings(**_lower(server.settings_env(server.new_bucket()))))


def _lower(env: dict[str, str]) -> dict[str, str]:
    return {name.removeprefix("GARDIEN_").lower(): value for name, value in env.items()}


def test_the_settings_choose_the_store(blobs: BlobStore, request: pytest.FixtureRequest) -> None:
    kind = request.node.callspec.params["blobs"]
    assert isinstance(blobs, FileBlobStore if kind == "files" else S3BlobStore)


def test_put_get_exists_delete(blobs: BlobStore) -> None:
    name = sha256_of(CONTENT)
    assert not blobs.exists(name)
    blobs.put(name, CONTENT)
    assert blobs.exists(name)
    assert blobs.get(name) == CONTENT
    blobs.put(name, CONTENT)  # the same content again: nothing changes
    assert blobs.get(name) == CONTENT
    blobs.delete(name)
    assert not blobs.exists(name)
    blobs.delete(name)  # deleting what is gone is no error
    with pytest.raises(BlobStoreError, match=name):
        blobs.get(name)


def test_a_name_holds_only_the_content_that_hashes_to_it(blobs: BlobStore) -> None:
    with pytest.raises(BlobStoreError, match="does not hash to its name"):
        blobs.put(sha256_of(b"something else"), CONTENT)
    with pytest.raises(BlobStoreError, match="64 lower-case hex digits"):
        blobs.put("../../etc/passwd", CONTENT)
    with pytest.raises(BlobStoreError, match="64 lower-case hex digits"):
        blobs.exists(sha256_of(CONTENT).upper())
    assert not blobs.exists(sha256_of(b"something else"))


def test_blobs_are_independent(blobs: BlobStore) -> None:
    contents = [b"", b"a", b"b" * 100_000]
    for content in contents:
        blobs.put(sha256_of(content), content)
    blobs.delete(sha256_of(b"a"))
    assert blobs.get(sha256_of(b"")) == b""
    assert blobs.get(sha256_of(b"b" * 100_000)) == b"b" * 100_000
    assert not blobs.exists(sha256_of(b"a"))


def test_files_are_kept_for_their_owner_only(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    name = sha256_of(CONTENT)
    store.put(name, CONTENT)
    path = tmp_path / "blobs" / name[:2] / name
    assert path.read_bytes() == CONTENT
    assert path.stat().st_mode & 0o077 == 0
    assert path.parent.stat().st_mode & 0o077 == 0
    assert [p.name for p in path.parent.iterdir()] == [name]  # no temporary file left


def test_a_corrupted_file_is_refused_on_reading(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    name = sha256_of(CONTENT)
    store.put(name, CONTENT)
    (tmp_path / "blobs" / name[:2] / name).write_bytes(b"tampered")
    with pytest.raises(BlobStoreError, match="does not hash to its name"):
        store.get(name)


def test_an_unreachable_bucket_is_a_blob_store_error(s3_server: S3Server) -> None:
    store = open_blob_store(Settings(**_lower(s3_server.settings_env("no-such-bucket-here"))))
    with pytest.raises(BlobStoreError, match="NoSuchBucket"):
        store.put(sha256_of(CONTENT), CONTENT)

"""Where attachment content lives: files on disk, or an S3-compatible bucket.

Content-addressed: a blob is named by the SHA-256 of its bytes (64 lower-case hex digits), so
the same content sent twice is stored once, a name can never hold other content (``put``
refuses bytes that do not hash to it) and ``get`` checks what it gives back. The database says
which statements use which blob (``store/xapi_attachments.py``); a blob no attachment uses any
more is deleted by ``services/xapi/attachments.py``.

- :class:`FileBlobStore` (the default): one file per blob under ``GARDIEN_BLOB_DIR``, in 256
  sub-folders by the first two digits; written to a temporary file and renamed, so a reader
  never sees half a blob; files and folders readable by their owner only.
- :class:`S3BlobStore`: one object per blob in ``GARDIEN_BLOB_S3_BUCKET`` at
  ``GARDIEN_BLOB_S3_ENDPOINT`` (OVHcloud Object Storage, MinIO, AWS...), with boto3, imported
  only when such a store is opened.

Every failure is a :class:`~gardien.errors.BlobStoreError` naming the SHA-256, never the content.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from gardien.errors import BlobStoreError
from gardien.store.s3 import S3Objects, make_s3_client, s3_reason, s3_status

if TYPE_CHECKING:
    from gardien.settings import Settings

_SHA256 = re.compile(r"[0-9a-f]{64}")
# Objects of a bucket shared with other uses stay apart under this prefix.
S3_PREFIX = "xapi-attachments/"


class BlobStore(Protocol):
    """Content by its SHA-256: ``put`` is idempotent, ``delete`` of a missing blob is no error."""

    def put(self, sha256: str, data: bytes) -> None: ...

    def get(self, sha256: str) -> bytes: ...

    def delete(self, sha256: str) -> None: ...

    def exists(self, sha256: str) -> bool: ...


def sha256_of(data: bytes) -> str:
    """The name of ``data`` in a blob store."""
    return hashlib.sha256(data).hexdigest()


def _checked_name(sha256: str) -> str:
    if not _SHA256.fullmatch(sha256):
        raise BlobStoreError("a blob is named by a SHA-256 in 64 lower-case hex digits")
    return sha256


def _checked_content(sha256: str, data: bytes, doing: str) -> bytes:
    if sha256_of(data) != sha256:
        raise BlobStoreError(f"{doing} blob {sha256}: the content does not hash to its name")
    return data


class FileBlobStore:
    """Blobs as files under ``root`` (created, owner-only, when first written)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        name = _checked_name(sha256)
        return self.root / name[:2] / name

    def put(self, sha256: str, data: bytes) -> None:
        path = self._path(sha256)
        _checked_content(sha256, data, "storing")
        if path.is_file():
            return  # same name, same content
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(data)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise BlobStoreError(f"storing blob {sha256}: {error.strerror}") from None

    def get(self, sha256: str) -> bytes:
        try:
            data = self._path(sha256).read_bytes()
        except FileNotFoundError:
            raise BlobStoreError(f"no blob {sha256} in {self.root}") from None
        except OSError as error:
            raise BlobStoreError(f"reading blob {sha256}: {error.strerror}") from None
        return _checked_content(sha256, data, "reading")

    def delete(self, sha256: str) -> None:
        try:
            self._path(sha256).unlink(missing_ok=True)
        except OSError as error:
            raise BlobStoreError(f"deleting blob {sha256}: {error.strerror}") from None

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()


class S3BlobStore(S3Objects):
    """Blobs as objects of ``bucket`` on an S3-compatible service.

    ``client`` makes a boto3 S3 client (:func:`s3_client` from settings), called at the first
    operation: opening the store costs nothing to a process that never touches a blob.
    """

    def __init__(self, client: Callable[[], Any], bucket: str, *, prefix: str = S3_PREFIX) -> None:
        super().__init__(client, bucket, prefix=prefix)

    def _key(self, sha256: str) -> str:
        return self.prefix + _checked_name(sha256)

    def put(self, sha256: str, data: bytes) -> None:
        key = self._key(sha256)
        _checked_content(sha256, data, "storing")
        try:
            self._client.put_object(Bucket=self.bucket, Key=key, Body=data)
        except self._failures as error:
            raise BlobStoreError(f"storing blob {sha256}: {s3_reason(error)}") from None

    def get(self, sha256: str) -> bytes:
        key = self._key(sha256)
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=key)
            data: bytes = answer["Body"].read()
        except self._failures as error:
            if s3_status(error) == 404:
                raise BlobStoreError(f"no blob {sha256} in bucket {self.bucket}") from None
            raise BlobStoreError(f"reading blob {sha256}: {s3_reason(error)}") from None
        return _checked_content(sha256, data, "reading")

    def delete(self, sha256: str) -> None:
        key = self._key(sha256)
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except self._failures as error:
            if s3_status(error) != 404:
                raise BlobStoreError(f"deleting blob {sha256}: {s3_reason(error)}") from None

    def exists(self, sha256: str) -> bool:
        key = self._key(sha256)
        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
        except self._failures as error:
            if s3_status(error) == 404:
                return False
            raise BlobStoreError(f"looking for blob {sha256}: {s3_reason(error)}") from None
        return True


def s3_client(settings: Settings) -> Any:
    """A boto3 S3 client for the ``GARDIEN_BLOB_S3_*`` settings.

    Checksums only where the operation requires them: the ones botocore adds by default since
    1.36 are refused by several S3-compatible services.
    """
    secret = settings.blob_s3_secret_key
    return make_s3_client(
        endpoint=settings.blob_s3_endpoint,
        region=settings.blob_s3_region,
        access_key=settings.blob_s3_access_key,
        secret_key=secret.get_secret_value() if secret is not None else None,
    )


def open_blob_store(settings: Settings) -> BlobStore:
    """The S3-compatible store when ``GARDIEN_BLOB_S3_BUCKET`` is set, else files on disk."""
    if settings.blob_s3_bucket:
        return S3BlobStore(partial(s3_client, settings), settings.blob_s3_bucket)
    return FileBlobStore(settings.blob_directory)

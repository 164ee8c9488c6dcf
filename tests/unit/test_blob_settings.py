"""Where attachment content goes, as the settings say: files beside the SQLite database by
default, a folder given, or an S3-compatible bucket; half an S3 configuration is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from gardien.errors import ConfigurationError
from gardien.settings import Settings
from gardien.store.blobs import FileBlobStore, S3BlobStore, open_blob_store


@pytest.mark.parametrize(
    ("url", "folder"),
    [
        ("sqlite:///var/gardien.sqlite3", Path("var/blobs")),
        ("sqlite:////srv/gardien/data.sqlite3", Path("/srv/gardien/blobs")),
        ("sqlite+pysqlite:////srv/x/db.sqlite3?timeout=5", Path("/srv/x/blobs")),
        ("sqlite:///:memory:", Path("var/blobs")),
        ("postgresql://gardien@db.example.org/gardien", Path("var/blobs")),
    ],
)
def test_the_default_folder_is_beside_the_sqlite_database(url: str, folder: Path) -> None:
    settings = Settings(database_url=url)
    assert settings.blob_directory == folder
    store = open_blob_store(settings)
    assert isinstance(store, FileBlobStore) and store.root == folder


def test_a_folder_given_wins_and_empty_means_unset() -> None:
    assert Settings(blob_dir="/data/blobs").blob_directory == Path("/data/blobs")
    assert Settings(blob_dir="", database_url="sqlite:////a/b.db").blob_directory == Path(
        "/a/blobs"
    )


def test_a_bucket_chooses_the_s3_store_without_connecting() -> None:
    settings = Settings(
        blob_s3_bucket="gardien-attachments",
        blob_s3_endpoint="https://s3.gra.io.cloud.ovh.net",
        blob_s3_region="gra",
        blob_s3_access_key="key",
        blob_s3_secret_key="s3-secret-value",
    ).check_consistency()
    store = open_blob_store(settings)
    assert isinstance(store, S3BlobStore) and store.bucket == "gardien-attachments"
    assert "s3-secret-value" not in repr(settings)


def test_half_an_s3_configuration_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="without GARDIEN_BLOB_S3_BUCKET"):
        Settings(blob_s3_endpoint="https://s3.gra.io.cloud.ovh.net").check_consistency()
    with pytest.raises(ConfigurationError, match="go together"):
        Settings(blob_s3_bucket="b", blob_s3_access_key="key").check_consistency()
    Settings(blob_s3_bucket="b").check_consistency()  # credentials from boto3's own chain

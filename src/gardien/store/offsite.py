"""The S3-compatible service that keeps what must outlive the server: backups, erasure ledger.

Reached with the ``GARDIEN_OFFSITE_S3_*`` settings (endpoint, region, access key and secret),
apart from the blob store's: the bucket of the ledger is best given credentials that may add
objects but not delete them (docs/backups.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gardien.settings import Settings


def offsite_s3_client(settings: Settings) -> Any:
    """A boto3 S3 client for the ``GARDIEN_OFFSITE_S3_*`` settings (boto3 imported here)."""
    from gardien.store.s3 import make_s3_client

    secret = settings.offsite_s3_secret_key
    return make_s3_client(
        endpoint=settings.offsite_s3_endpoint,
        region=settings.offsite_s3_region,
        access_key=settings.offsite_s3_access_key,
        secret_key=secret.get_secret_value() if secret is not None else None,
    )

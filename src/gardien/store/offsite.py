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
    import boto3
    from botocore.config import Config

    secret = settings.offsite_s3_secret_key
    return boto3.client(
        "s3",
        endpoint_url=settings.offsite_s3_endpoint,
        region_name=settings.offsite_s3_region,
        aws_access_key_id=settings.offsite_s3_access_key,
        aws_secret_access_key=secret.get_secret_value() if secret is not None else None,
        config=Config(
            # The checksums botocore adds by default since 1.36 are refused by several
            # S3-compatible services (as for the blob store).
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )

"""What every store on an S3-compatible service shares: the client, the bucket, the failures.

The blob store (xAPI attachments), the backups and the erasure ledger each keep objects under a
prefix of one bucket. The client is made at the first operation, so that opening a store costs
nothing to a process that never touches it; boto3 is imported only then.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any


def make_s3_client(
    *, endpoint: str | None, region: str | None, access_key: str | None, secret_key: str | None
) -> Any:
    """A boto3 S3 client; checksums only where the operation requires them (the ones botocore
    adds by default since 1.36 are refused by several S3-compatible services)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )


class S3Objects:
    """Objects of ``bucket`` under ``prefix``; ``client`` makes the boto3 client when first used."""

    def __init__(self, client: Callable[[], Any], bucket: str, *, prefix: str) -> None:
        self._make_client = client
        self.bucket = bucket
        self.prefix = prefix

    @property
    def where(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @cached_property
    def _client(self) -> Any:
        return self._make_client()

    @cached_property
    def _failures(self) -> tuple[type[Exception], ...]:
        """What a call may raise: the service's answer, no answer (connection, time out), or a
        transfer that failed (boto3's own, from ``upload_file``)."""
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        return (BotoCoreError, ClientError, Boto3Error)


def s3_status(error: Exception) -> int | None:
    """The HTTP status of a botocore ``ClientError``, None for any other failure."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


def s3_reason(error: Exception) -> str:
    """The service's error code (``NoSuchKey``, ``AccessDenied``...) or the kind of failure:
    never the message, which may name the endpoint or the key."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        return str(response["Error"].get("Code", "error"))
    return type(error).__name__

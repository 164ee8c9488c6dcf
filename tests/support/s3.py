"""An S3-compatible server on loopback for the tests: moto's, run as a real HTTP process.

The blob store talks to it over HTTP exactly as it talks to OVHcloud Object Storage or any
other S3-compatible service: endpoint, region, bucket, access key and secret.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import httpx

from tests.support.server import free_port

REGION = "eu-west-par"
ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"  # moto accepts any pair


@dataclass(frozen=True)
class S3Server:
    """Where the test server listens, and the settings that reach one of its buckets."""

    endpoint: str

    def settings_env(self, bucket: str) -> dict[str, str]:
        """The ``GARDIEN_BLOB_S3_*`` variables for ``bucket`` on this server."""
        return {
            "GARDIEN_BLOB_S3_ENDPOINT": self.endpoint,
            "GARDIEN_BLOB_S3_REGION": REGION,
            "GARDIEN_BLOB_S3_BUCKET": bucket,
            "GARDIEN_BLOB_S3_ACCESS_KEY": ACCESS_KEY,
            "GARDIEN_BLOB_S3_SECRET_KEY": SECRET_KEY,
        }

    def new_bucket(self) -> str:
        """A new, empty bucket (each test its own)."""
        import boto3

        name = f"gardien-test-{uuid.uuid4().hex[:12]}"
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        return name


@contextmanager
def running_s3(timeout: float = 30.0) -> Iterator[S3Server]:
    """Start ``moto.server`` on a free loopback port; yield it; stop it afterwards."""
    port = free_port()
    # The server logs every request: to a file, which never fills up as a pipe would.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        yield from _serving(process, f"http://127.0.0.1:{port}", log, timeout)


def _serving(
    process: subprocess.Popen[bytes], endpoint: str, log: IO[bytes], timeout: float
) -> Iterator[S3Server]:
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                output = log.read().decode(errors="replace")
                raise RuntimeError(f"moto server exited with {process.returncode}:\n{output}")
            try:
                httpx.get(f"{endpoint}/moto-api/", timeout=1.0, trust_env=False)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield S3Server(endpoint)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

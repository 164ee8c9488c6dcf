"""A real gardien server in a subprocess on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(
    env: Mapping[str, str],
    *,
    timeout: float = 30.0,
    port: int | None = None,
    args: Sequence[str] = (),
    log: Path | None = None,
) -> Iterator[str]:
    """Start ``gardien serve`` with ``env`` added; yield its base URL; stop it afterwards.

    ``port`` lets a test know the URL beforehand (for ``GARDIEN_PUBLIC_URL``); default: a free one.
    ``log``: a file that receives everything the server writes (stdout and stderr), for a test
    to read what it logged.
    """
    port = port or free_port()
    # A file, never a pipe nobody reads: the server logs a line per request, and a full pipe
    # would stop it mid-answer. Closed in the ``finally`` below.
    output = (
        log.open("w", encoding="utf-8") if log is not None else tempfile.TemporaryFile("w+")  # noqa: SIM115
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gardien", "serve", "--port", str(port), *args],
        env={**os.environ, **env},
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                output.flush()
                output.seek(0)
                said = log.read_text(encoding="utf-8") if log is not None else output.read()
                raise RuntimeError(f"server exited with {process.returncode}:\n{said}")
            try:
                httpx.get(f"{base}/health", timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()

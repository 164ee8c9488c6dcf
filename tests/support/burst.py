"""Many HTTP requests at the same moment, sent from another process.

The process that measures latencies must not also run the client work of a burst: its threads
would compete for that process's GIL with the requests it times. :func:`post_at_once` runs
this file as a script, which sends every POST concurrently (one asyncio client) and prints
each answer's status, headers and JSON body.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import httpx


def post_at_once(
    base: str, path: str, bodies: list[Any], *, headers: dict[str, str]
) -> list[dict[str, Any]]:
    """POST each of ``bodies`` (JSON) to ``base + path`` at once; the answers, in order."""
    order = {"base": base, "path": path, "headers": headers, "bodies": bodies}
    done = subprocess.run(
        [sys.executable, __file__],
        input=json.dumps(order),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answers: list[dict[str, Any]] = json.loads(done.stdout)
    return answers


async def _post_all(order: dict[str, Any]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(order["bodies"]))
    async with httpx.AsyncClient(base_url=order["base"], timeout=60.0, limits=limits) as http:
        posts = [
            http.post(order["path"], json=body, headers=order["headers"])
            for body in order["bodies"]
        ]
        return list(await asyncio.gather(*posts))


if __name__ == "__main__":
    answers = asyncio.run(_post_all(json.load(sys.stdin)))
    json.dump(
        [{"status": a.status_code, "headers": dict(a.headers), "json": a.json()} for a in answers],
        sys.stdout,
    )

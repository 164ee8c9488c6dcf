"""Benchmark: pages under load, beside a bare Starlette endpoint served the same way.

    python bench/web.py [--clients 50] [--seconds 10] [--learners 200] [--smoke]

Prepares a SQLite demo organisation (``gardien db upgrade`` then ``gardien demo-data``: its
activity goes through the LRS), gives eight of its learners an account and signs each in
through the real form, registers an xAPI client, then starts ``gardien serve`` on loopback.
The baseline is a bare Starlette app (one route answering a short text) under uvicorn with the
same options, in its own process. Then, for each target, ``--clients`` concurrent keep-alive
clients (one asyncio process, raw HTTP/1.1 over loopback, so that the load generator costs as
little as it can) send requests back to back for ``--seconds``:

- ``baseline``: the bare endpoint;
- ``/``: the home page;
- ``/confidentialite``: the privacy notice;
- ``/my-data``: « Mes données », each client signed in as one of the learners;
- ``GET /xapi/statements``: the first page of statements (HTTP Basic, the registered client).

It prints requests per second, p50, p95 and p99 latency, errors, and each target's throughput
as a fraction of the baseline's measured in the same run. Every answer is checked (status
200); nothing is asserted about time. The load generator runs on the same machine as the
server: on 2 cores they share the CPU, which the baseline shows.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import insert, select

from _common import figure
from gardien.domain.clock import FixedClock
from gardien.services.accounts.passwords import PasswordHasher
from gardien.services.xapi.clients import create_client
from gardien.store.engine import make_engine
from gardien.store.tables import account, learner
from gardien.store.uow import UnitOfWork

NOW = "2026-12-06T10:00:00+00:00"
PASSWORD = "a long bench passphrase 2026"
SIGNED_IN = 8
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
BARE_APP = textwrap.dedent(
    """
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def hello(request):
        return PlainTextResponse("bonjour")

    app = Starlette(routes=[Route("/", hello)])
    """
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def gardien(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gardien", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"gardien {' '.join(args)} failed: {done.stderr.strip()}")


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server at {base} exited with {process.returncode}")
        try:
            httpx.get(base + "/", timeout=1.0, trust_env=False)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"the server at {base} did not start")


@contextmanager
def serving(command: Sequence[str], env: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def accounts_for_learners(url: str, count: int) -> list[str]:
    """Active accounts for ``count`` learners who have statements; their addresses."""
    engine = make_engine(url)
    hasher = PasswordHasher()
    created = datetime.fromisoformat(NOW)
    try:
        with engine.begin() as connection:
            taken = set(connection.execute(select(account.c.learner_id)).scalars())
            rows = connection.execute(
                select(learner.c.id, learner.c.email).order_by(learner.c.last_activity_at.desc())
            ).all()
            chosen = [row for row in rows if row.id not in taken][:count]
            secret = hasher.hash(PASSWORD)
            connection.execute(
                insert(account),
                [
                    {
                        "email": row.email,
                        "role": "learner",
                        "learner_id": row.id,
                        "password_hash": secret,
                        "created_at": created,
                        "activated_at": created,
                        "password_changed_at": created,
                    }
                    for row in chosen
                ],
            )
        return [row.email for row in chosen]
    finally:
        engine.dispose()


def sign_in(base: str, email: str) -> str:
    """Sign in through the real form; the Cookie header of the session."""
    with httpx.Client(base_url=base, trust_env=False, follow_redirects=False) as client:
        page = client.get("/account/sign-in")
        token = _CSRF.search(page.text)
        if token is None:
            raise SystemExit("the sign-in page has no CSRF token")
        answer = client.post(
            "/account/sign-in",
            data={"email": email, "password": PASSWORD, "csrf": token.group(1)},
        )
        if answer.status_code != 303:
            raise SystemExit(f"sign-in answered {answer.status_code}")
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


@dataclass
class Target:
    name: str
    port: int
    path: str
    headers: list[dict[str, str]] = field(default_factory=lambda: [{}])


@dataclass
class Figures:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else 0.0


async def _client(target: Target, headers: dict[str, str], stop: float, figures: Figures) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", target.port)
    lines = [f"GET {target.path} HTTP/1.1", f"Host: 127.0.0.1:{target.port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    try:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            writer.write(request)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            figures.latencies.append(time.perf_counter() - started)
            figures.requests += 1
            if not status.startswith(b"HTTP/1.1 200"):
                figures.errors += 1
    finally:
        writer.close()


async def _load(target: Target, clients: int, seconds: float) -> Figures:
    figures = Figures(0, 0, seconds, [])
    started = time.perf_counter()
    stop = started + seconds
    await asyncio.gather(
        *(
            _client(target, target.headers[n % len(target.headers)], stop, figures)
            for n in range(clients)
        )
    )
    figures.seconds = time.perf_counter() - started
    return figures


def load(target: Target, clients: int, seconds: float) -> Figures:
    # A short warm-up (caches, connections), then the measured run.
    asyncio.run(_load(target, min(clients, 4), min(1.0, seconds / 4)))
    return asyncio.run(_load(target, clients, seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--smoke", action="store_true", help="tiny and short (tests)")
    args = parser.parse_args()
    clients, seconds, learners = args.clients, args.seconds, args.learners
    if args.smoke:
        clients, seconds, learners = 8, 0.5, 12
    tmp = Path(tempfile.mkdtemp(prefix="gardien-bench-web-"))
    try:
        run(tmp, clients=clients, seconds=seconds, learners=learners)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp: Path, *, clients: int, seconds: float, learners: int) -> None:
    url = f"sqlite:///{tmp / 'web.sqlite3'}"
    env = {**os.environ, "GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW}
    gardien(env, "db", "upgrade")
    gardien(env, "demo-data", "--learners", str(learners), "--seed", "1", "--as-of", NOW)
    people = accounts_for_learners(url, SIGNED_IN)
    engine = make_engine(url)
    try:
        lms = create_client(
            UnitOfWork(engine, write=True),
            name="bench web",
            clock=FixedClock(datetime.fromisoformat(NOW).astimezone(UTC)),
        )
    finally:
        engine.dispose()
    basic = base64.b64encode(f"{lms.key}:{lms.secret}".encode()).decode()
    (tmp / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
    port, bare_port = free_port(), free_port()
    server = [sys.executable, "-m", "gardien", "serve", "--port", str(port)]
    bare = [
        sys.executable,
        "-m",
        "uvicorn",
        "bare_app:app",
        "--port",
        str(bare_port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    print(
        f"web benchmark: {clients} keep-alive clients, {seconds:g} s per target, SQLite,"
        f" {learners} demo learners, {len(people)} signed in"
    )
    with (
        serving(server, env, port) as base,
        serving(bare, {**env, "PYTHONPATH": str(tmp)}, bare_port),
    ):
        cookies = [{"Cookie": sign_in(base, email)} for email in people]
        xapi = {"Authorization": f"Basic {basic}", "X-Experience-API-Version": "1.0.3"}
        targets = [
            Target("baseline (bare Starlette)", bare_port, "/"),
            Target("/", port, "/"),
            Target("/confidentialite", port, "/confidentialite"),
            Target("/my-data", port, "/my-data", cookies),
            Target("GET /xapi/statements", port, "/xapi/statements", [xapi]),
        ]
        results = [(target, load(target, clients, seconds)) for target in targets]
    baseline = results[0][1].rate()
    print(
        f"{'target':<28} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7} {'x baseline':>10}"
    )
    for target, figures in results:
        print(
            f"{target.name:<28} {figures.rate():>8.0f} {figures.percentile(0.50):>8.1f} "
            f"{figures.percentile(0.95):>8.1f} {figures.percentile(0.99):>8.1f} "
            f"{figures.errors:>7} {figures.rate() / baseline:>10.2f}"
        )
    for target, figures in results[1:]:
        figure(
            f"{target.name} under {clients} clients",
            figures.rate(),
            "req/s",
            baseline="bare Starlette",
            base=baseline,
        )
    failed = sum(figures.errors for _, figures in results)
    if failed:
        raise SystemExit(f"{failed} answers were not 200")


if __name__ == "__main__":
    main()

"""``gardien serve``: loopback only and said so outside production; ``--workers N`` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest

from gardien.cli.main import main
from gardien.readiness import is_loopback
from tests.support.server import free_port

SECRET = "gudcDShL5ac5hxCD54Zins-diOArbqoYkxhaM6dJ5JU"  # secrets.token_urlsafe(32)
SRC = Path(__file__).parents[2] / "src"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("GARDIEN_") and not name.upper().startswith("GARDIEN_TEST_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "10.1.2.3", "example.org", ""])
def test_addresses_others_can_reach(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize("environment", ["development", "test"])
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "gardien.example.org"])
def test_outside_production_serve_refuses_an_address_others_can_reach(
    environment: str,
    host: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GARDIEN_ENVIRONMENT", environment)
    url = f"sqlite:///{tmp_path / 'never-created.sqlite3'}"
    assert main(["--database-url", url, "serve", "--host", host]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gardien: GARDIEN_ENVIRONMENT is {environment}: gardien serve listens")
    assert "needs GARDIEN_ENVIRONMENT=production" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "never-created.sqlite3").exists()  # refused before anything else


def test_dev_mail_serves_with_one_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GARDIEN_MAIL_SINK_DIR", str(tmp_path / "mail"))
    url = f"sqlite:///{tmp_path / 'never-created.sqlite3'}"
    assert main(["--database-url", url, "serve", "--dev-mail", "--workers", "2"]) == 2
    assert capsys.readouterr().err == (
        "gardien: --dev-mail serves with one worker: leave out --workers\n"
    )


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _workers(pid: int) -> list[int]:
    """uvicorn's worker processes: children of the server started by multiprocessing's spawn."""
    found = []
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"spawn_main" in command:
            found.append(child)
    return found


@contextmanager
def _served(
    args: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    *,
    options: Sequence[str] = (),
    timeout: float = 60.0,
) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """``gardien OPTIONS serve ARGS`` on a free loopback port; yield URL, process, output file."""
    port = free_port()
    output = cwd / "serve.log"
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("GARDIEN_")}
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "gardien", *options, "serve", "--port", str(port), *args],
            env={**clean, "PYTHONPATH": str(SRC), **env},
            cwd=cwd,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    workers: list[int] = []
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert process.poll() is None, output.read_text(encoding="utf-8")
            try:
                if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, output.read_text(encoding="utf-8")
            time.sleep(0.2)
        workers = _children(process.pid)
        yield base, process, output
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for child in workers:  # never leave a worker behind, even if the supervisor was killed
            with suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)


def _migrated(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    assert main(["--database-url", url, "db", "upgrade"]) == 0
    return url


def test_development_says_it_listens_on_loopback_only(tmp_path: Path) -> None:
    url = _migrated(tmp_path)
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_ENVIRONMENT": "development"}
    with _served([], env, tmp_path) as (_, _process, output):
        said = output.read_text(encoding="utf-8")
    assert "development mode: listening on 127.0.0.1 only; not for production\n" in said


def test_production_does_not_say_it(tmp_path: Path) -> None:
    url = _migrated(tmp_path)
    env = {
        "GARDIEN_DATABASE_URL": url,
        "GARDIEN_ENVIRONMENT": "production",
        "GARDIEN_SECRET_KEY": SECRET,
    }
    with _served([], env, tmp_path) as (base, _process, output):
        assert httpx.get(f"{base}/api/docs").status_code == 404
        said = output.read_text(encoding="utf-8")
    assert "mode: listening" not in said
    assert SECRET not in said


def test_serve_with_two_workers(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The database comes as --database-url only: the workers, which bootstrap from the
    # environment, must be handed it.
    options = ["--database-url", database_url]
    with _served(["--workers", "2"], {}, tmp_path, options=options) as (base, process, output):
        answers = [httpx.get(f"{base}/ready") for _ in range(10)]
        workers = _workers(process.pid)
        said = output.read_text(encoding="utf-8")
    assert [answer.json() for answer in answers] == [{"status": "ready"}] * 10
    assert len(workers) == 2
    sqlite = database_url.startswith("sqlite")
    assert ("2 workers share one SQLite file: one writer at a time" in said) is sqlite
    assert not (tmp_path / "var").exists()  # no worker fell back to the default database

"""The web app served by uvicorn, over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from tests.support.server import running_server


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture
def migrated_sqlite(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def test_home_and_health_over_http_honour_gardien_now(migrated_sqlite: str) -> None:
    env = {"GARDIEN_DATABASE_URL": migrated_sqlite, "GARDIEN_NOW": "2026-01-15"}
    with running_server(env) as base:
        health = httpx.get(f"{base}/health")
        ready = httpx.get(f"{base}/ready")
        home = httpx.get(f"{base}/")
    assert health.status_code == 200
    assert ready.json() == {"status": "ready"}
    body = health.json()
    assert body["status"] == "ok"
    assert body["now"].startswith("2026-01-15T")
    assert len(body["policy_version"]) == 12
    assert home.status_code == 200
    assert home.headers["content-type"].startswith("text/html")
    page = _Collect()
    page.feed(home.text)
    assert "script" not in page.tags
    text = " ".join(page.text)
    assert "18 mois" in text
    assert body["policy_version"] in text


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    env = {**os.environ, "GARDIEN_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "-m", "gardien", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "gardien db upgrade" in result.stderr
    assert "Traceback" not in result.stderr

"""``/ready`` and ``/metrics`` of an app in this process, on SQLite and PostgreSQL: ready at the
migrations' head; not ready, with the reason, on a database left at an older revision, never
migrated or out of reach; ``/metrics`` behind its token, and off in production without one.

(The same over real HTTP, against a running server: tests/e2e/test_observability.py.)
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from fastapi import FastAPI

from gardien.bootstrap import bootstrap
from gardien.services.ready import NotReady, not_ready
from gardien.settings import Environment, Settings
from gardien.store.engine import make_engine
from gardien.store.migrate import alembic_config, head_revision, upgrade
from gardien.web.app import create_app

SECRET = "9Khh5BRCD5exksux6gARMIykS6OxkF84vEfifr6PNhg"  # secrets.token_urlsafe(32)
OLDER = "0015"
TOKEN = "kR2pX7wQ9mZ4vB8nC3tY6hJ1sD5fG0aLqWeRtYuIoPa"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("GARDIEN_") and not name.upper().startswith("GARDIEN_TEST_"):
            monkeypatch.delenv(name)


def _get(app: FastAPI, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async def request() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(request())


def _app(database_url: str, **settings: object) -> Iterator[FastAPI]:
    container = bootstrap(
        Settings(secret_key=SECRET, database_url=database_url, **settings)  # type: ignore[arg-type]
    )
    app = create_app(container)
    try:
        yield app
    finally:
        app.state.container.close()
        container.close()


def _migrated_to(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        command.upgrade(alembic_config(engine), revision)
    finally:
        engine.dispose()


def test_ready_at_the_head(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        assert not_ready(engine) == []
    finally:
        engine.dispose()
    for app in _app(empty_database_url):
        answer = _get(app, "/ready")
        assert (answer.status_code, answer.json()) == (200, {"status": "ready"})
        assert answer.headers["cache-control"] == "no-store"


def test_not_ready_on_a_database_left_at_an_older_revision(empty_database_url: str) -> None:
    _migrated_to(empty_database_url, OLDER)
    for app in _app(empty_database_url):
        answer = _get(app, "/ready")
        assert answer.status_code == 503
        assert answer.json() == {
            "status": "not ready",
            "reasons": [
                {
                    "check": "schema",
                    "detail": f"the database is at revision {OLDER}, not at {head_revision()}",
                }
            ],
        }
        # Alive all the same: /health does not ask the database.
        assert _get(app, "/health").status_code == 200
        # The metrics say so too, and leave out the figures a schema this old may not hold.
        metrics = _get(app, "/metrics").text
        assert "gardien_ready 0.0" in metrics
        assert "gardien_outbox_messages_waiting" not in metrics


def test_not_ready_on_a_database_never_migrated(empty_database_url: str) -> None:
    for app in _app(empty_database_url):
        answer = _get(app, "/ready")
        assert answer.status_code == 503
        [reason] = answer.json()["reasons"]
        assert reason["check"] == "schema"
        assert reason["detail"].startswith("the database is empty (never migrated)")


def test_not_ready_when_the_sqlite_file_cannot_be_opened(tmp_path: Path) -> None:
    # A folder where the database file should be: SQLite cannot open it.
    (tmp_path / "gardien.sqlite3").mkdir()
    url = f"sqlite:///{tmp_path / 'gardien.sqlite3'}"
    for app in _app(url):
        answer = _get(app, "/ready")
        assert answer.status_code == 503
        [reason] = answer.json()["reasons"]
        assert reason["check"] == "database"
        assert reason["detail"] == "cannot reach the database (OperationalError)"
        assert str(tmp_path) not in answer.text
        assert _get(app, "/health").status_code == 200


@pytest.mark.postgres
def test_not_ready_when_postgresql_does_not_answer() -> None:
    # Nothing listens on port 1; the URL's password must not appear in the answer.
    url = "postgresql+psycopg://gardien:hunter2-secret@127.0.0.1:1/gardien?connect_timeout=2"
    engine = make_engine(url)
    try:
        [reason] = not_ready(engine)
    finally:
        engine.dispose()
    assert reason == NotReady("database", "cannot reach the database (OperationalError)")
    for app in _app(url):
        answer = _get(app, "/ready")
        assert answer.status_code == 503
        assert "hunter2" not in answer.text


def test_a_later_check_is_one_more_function(database_url: str) -> None:
    """The extension point: a check appended to the list is run, and its reason answered."""
    engine = make_engine(database_url)
    try:

        def replay_pending(_engine: object) -> NotReady:
            return NotReady("erasures", "2 erasures to replay after a restore")

        from gardien.services.ready import CHECKS

        assert not_ready(engine, [*CHECKS, replay_pending]) == [
            NotReady("erasures", "2 erasures to replay after a restore")
        ]
    finally:
        engine.dispose()


def test_metrics_need_the_token_when_one_is_set(database_url: str) -> None:
    for app in _app(database_url, metrics_token=TOKEN):
        assert _get(app, "/metrics").status_code == 401
        wrong = _get(app, "/metrics", {"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"] == "Bearer"
        right = _get(app, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200
        assert right.headers["content-type"].startswith("text/plain; version=")
        assert "gardien_ready 1.0" in right.text


def test_metrics_are_off_in_production_without_a_token(database_url: str) -> None:
    for app in _app(database_url, environment=Environment.PRODUCTION):
        assert _get(app, "/metrics").status_code == 404
    for app in _app(database_url, environment=Environment.PRODUCTION, metrics_token=TOKEN):
        answer = _get(app, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200

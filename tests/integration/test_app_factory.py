"""The app factories: ``/dev/mail`` only when asked for, no API docs in production, and the
module-level factory that each worker of ``gardien serve --workers N`` runs."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from gardien.bootstrap import bootstrap
from gardien.errors import ConfigurationError, DatabaseNotReadyError
from gardien.settings import Environment, Settings
from gardien.web.app import app_from_environment, create_app

SECRET = "9Khh5BRCD5exksux6gARMIykS6OxkF84vEfifr6PNhg"  # secrets.token_urlsafe(32)
DOCS = ["/api/docs", "/openapi.json"]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("GARDIEN_") and not name.upper().startswith("GARDIEN_TEST_"):
            monkeypatch.delenv(name)


class Client:
    """Requests to an app in this process (ASGI), one event loop per request."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def get(self, path: str) -> httpx.Response:
        async def request() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.get(path)

        return asyncio.run(request())


def _client(database_url: str, environment: Environment, *, dev_mail: bool) -> Iterator[Client]:
    settings = Settings(environment=environment, secret_key=SECRET, database_url=database_url)
    container = bootstrap(settings)
    app = create_app(container, dev_mail=dev_mail)
    try:
        yield Client(app)
    finally:
        # The web's own engine (create_app's lifespan closes it when served) and the CLI's.
        app.state.container.close()
        container.close()


@pytest.mark.parametrize("environment", list(Environment))
def test_no_mailbox_without_dev_mail_whatever_the_environment(
    database_url: str, environment: Environment
) -> None:
    for client in _client(database_url, environment, dev_mail=False):
        assert client.get("/dev/mail").status_code == 404
        assert client.get("/dev/mail/message.eml").status_code == 404
        assert client.get("/health").status_code == 200


def test_the_mailbox_with_dev_mail_in_development(database_url: str) -> None:
    for client in _client(database_url, Environment.DEVELOPMENT, dev_mail=True):
        page = client.get("/dev/mail")
        assert page.status_code == 200
        assert "No message yet." in page.text


@pytest.mark.parametrize("environment", [Environment.TEST, Environment.PRODUCTION])
def test_dev_mail_is_refused_outside_development(
    database_url: str, environment: Environment
) -> None:
    settings = Settings(environment=environment, secret_key=SECRET, database_url=database_url)
    with pytest.raises(ConfigurationError, match="--dev-mail is for development"):
        create_app(bootstrap(settings), dev_mail=True)


def test_no_api_docs_in_production(database_url: str) -> None:
    for client in _client(database_url, Environment.PRODUCTION, dev_mail=False):
        for path in DOCS:
            assert client.get(path).status_code == 404, path
        assert client.get("/health").status_code == 200


@pytest.mark.parametrize("environment", [Environment.DEVELOPMENT, Environment.TEST])
def test_api_docs_outside_production(database_url: str, environment: Environment) -> None:
    for client in _client(database_url, environment, dev_mail=False):
        assert client.get("/api/docs").status_code == 200
        schema = client.get("/openapi.json")
        assert schema.status_code == 200
        assert "/api/transmissions" in schema.json()["paths"]


def test_the_worker_factory_bootstraps_from_the_environment(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GARDIEN_DATABASE_URL", database_url)
    monkeypatch.setenv("GARDIEN_NOW", "2026-03-04")
    app = app_from_environment()
    container = app.state.container
    try:
        assert container.settings.database_url == database_url
        client = Client(app)
        health = client.get("/health")
        assert health.status_code == 200
        assert health.json()["now"].startswith("2026-03-04T")
        assert client.get("/ready").json() == {"status": "ready"}
        assert client.get("/dev/mail").status_code == 404
    finally:
        container.close()


def test_the_worker_factory_refuses_what_every_command_refuses(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GARDIEN_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("GARDIEN_ENVIRONMENT", "production")
    monkeypatch.setenv("GARDIEN_SECRET_KEY", "short")
    with pytest.raises(ConfigurationError, match=r"^GARDIEN_SECRET_KEY is shorter"):
        app_from_environment()
    monkeypatch.setenv("GARDIEN_SECRET_KEY", SECRET)
    with pytest.raises(DatabaseNotReadyError, match="gardien db upgrade"):  # no worker starts
        app_from_environment()

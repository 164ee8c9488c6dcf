"""Shared fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL.

PostgreSQL comes from ``GARDIEN_TEST_POSTGRES_URL`` (a role allowed to create databases).
Without it the PostgreSQL variants skip, except under ``CI=true`` where they fail: CI must
never go green by skipping them.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from gardien.store.engine import make_engine, normalise_url
from gardien.store.migrate import upgrade

POSTGRES_ENV = "GARDIEN_TEST_POSTGRES_URL"


def _admin_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        message = f"PostgreSQL not configured: set {POSTGRES_ENV}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI must run the PostgreSQL tests)")
        pytest.skip(message)
    return normalise_url(url)


def _template_name(admin_url: str) -> str:
    # One template per role and test run: a template left behind by another role could not be
    # dropped, and two runs at once (several developers, CI) must not drop each other's.
    user = make_url(admin_url).username or "default"
    safe = "".join(c for c in user if c.isalnum() or c == "_")
    return f"gardien_template_{safe}_{os.getpid()}"


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated template database, made once per session; tests copy it."""
    admin_url = _admin_url()
    template = _template_name(admin_url)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {template}"))
    engine = make_engine(_with_database(admin_url, template))
    upgrade(engine)
    engine.dispose()
    yield admin_url
    _drop(admin, template)
    admin.dispose()


def _postgres_database(admin_url: str, *, template: str | None) -> Iterator[str]:
    name = f"gardien_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    clause = f" TEMPLATE {template}" if template else ""
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}{clause}"))
        url = _with_database(admin_url, name)
        if template:
            _new_lineage(url)
        yield url
    finally:
        _drop(admin, name)
        admin.dispose()


def _new_lineage(url: str) -> None:
    """A copy of the template is a new database, not a restore of it: give it a lineage of its
    own, as migrating it would have (erasure ledger, docs/backups.md), so that the erasures a
    test records are never held against another test's database."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE erasure_lineage SET lineage = :lineage"),
                {"lineage": uuid.uuid4().hex},
            )
    finally:
        engine.dispose()


def _drop(admin: Engine, name: str) -> None:
    # An autovacuum worker may be visiting the database; FORCE terminates it when the role may
    # signal it, else wait and retry. A database left behind is harmless (names are unique).
    for attempt in range(10):
        try:
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            return
        except DBAPIError:
            time.sleep(0.2 * (attempt + 1))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty (unmigrated) database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gardien.sqlite3'}"
    else:
        yield from _postgres_database(_admin_url(), template=None)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new database, migrated to head."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'gardien.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    else:
        admin_url = request.getfixturevalue("postgres_template")
        yield from _postgres_database(admin_url, template=_template_name(admin_url))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh migrated database (SQLite and PostgreSQL variants)."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier, from the folder it lives in."""
    for item in items:
        tier = Path(str(item.fspath)).relative_to(Path(__file__).parent).parts[0]
        if tier in {"unit", "integration", "e2e"}:
            item.add_marker(getattr(pytest.mark, tier))

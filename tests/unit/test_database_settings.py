"""The database settings for a managed PostgreSQL: the CA file (how it reaches libpq), the web
server's pool and statement timeout (docs/postgresql.md). No connection is made here."""

from __future__ import annotations

from pathlib import Path

import pytest

from gardien.bootstrap import bootstrap
from gardien.errors import ConfigurationError
from gardien.settings import Settings, load_settings
from gardien.store.engine import make_engine

CA_FILE = Path(__file__).parents[1] / "support" / "example-database-ca.pem"
PASSWORD = "db-password-never-shown"
URL = f"postgresql://gardien:{PASSWORD}@db.example.org:5432/gardien"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("POOL_SIZE", "MAX_OVERFLOW", "STATEMENT_TIMEOUT_SECONDS", "CA_FILE"):
        monkeypatch.delenv(f"GARDIEN_DATABASE_{name}", raising=False)
    monkeypatch.delenv("GARDIEN_WRITE_WAIT_SECONDS", raising=False)


def test_the_defaults() -> None:
    settings = Settings().check()
    assert (settings.database_pool_size, settings.database_max_overflow) == (5, 5)
    assert settings.web_statement_timeout == 30.0
    assert settings.database_ca_file is None


def test_the_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARDIEN_DATABASE_POOL_SIZE", "12")
    monkeypatch.setenv("GARDIEN_DATABASE_MAX_OVERFLOW", "0")
    monkeypatch.setenv("GARDIEN_DATABASE_STATEMENT_TIMEOUT_SECONDS", "0")
    monkeypatch.setenv("GARDIEN_DATABASE_CA_FILE", str(CA_FILE))
    settings = load_settings().check()
    assert (settings.database_pool_size, settings.database_max_overflow) == (12, 0)
    assert settings.web_statement_timeout is None  # 0: no limit
    assert settings.database_ca_file == CA_FILE


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GARDIEN_DATABASE_POOL_SIZE", "0"),
        ("GARDIEN_DATABASE_POOL_SIZE", "many"),
        ("GARDIEN_DATABASE_MAX_OVERFLOW", "-1"),
        ("GARDIEN_DATABASE_STATEMENT_TIMEOUT_SECONDS", "-5"),
        ("GARDIEN_DATABASE_STATEMENT_TIMEOUT_SECONDS", "86400"),
    ],
)
def test_a_value_that_cannot_work_is_named(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=f"^{name}: "):
        load_settings()


def test_the_statement_timeout_must_outlast_the_wait_for_a_lock() -> None:
    with pytest.raises(ConfigurationError, match="longer than GARDIEN_WRITE_WAIT_SECONDS"):
        Settings(database_statement_timeout_seconds=2, write_wait_seconds=2).check()
    assert Settings(database_statement_timeout_seconds=0, write_wait_seconds=2).check()


def _query(url: str, ca_file: Path | None = None) -> dict[str, object]:
    engine = make_engine(url, ca_file=ca_file)
    try:
        return dict(engine.url.query)
    finally:
        engine.dispose()


def test_the_ca_file_goes_into_the_url_with_verify_full() -> None:
    # In the URL itself, so that an engine made again from this one's URL verifies the same.
    assert _query(URL, CA_FILE) == {"sslrootcert": str(CA_FILE), "sslmode": "verify-full"}


def test_the_urls_own_sslmode_is_kept() -> None:
    # check-config says what is wrong with it; the engine does not overrule the operator.
    assert _query(URL + "?sslmode=require", CA_FILE)["sslmode"] == "require"


def test_the_urls_own_sslrootcert_works_alone_and_with_the_same_file() -> None:
    url = f"{URL}?sslmode=verify-full&sslrootcert={CA_FILE}"
    assert _query(url) == {"sslmode": "verify-full", "sslrootcert": str(CA_FILE)}
    assert _query(url, CA_FILE) == {"sslmode": "verify-full", "sslrootcert": str(CA_FILE)}


def test_two_different_ca_files_are_refused() -> None:
    url = f"{URL}?sslmode=verify-full&sslrootcert=/etc/ssl/other.pem"
    with pytest.raises(ConfigurationError, match="different files") as refused:
        make_engine(url, ca_file=CA_FILE)
    assert PASSWORD not in str(refused.value)


def test_a_ca_file_that_does_not_exist_is_refused_before_any_connection(tmp_path: Path) -> None:
    missing = tmp_path / "ca.pem"
    with pytest.raises(ConfigurationError, match="does not exist") as refused:
        make_engine(URL, ca_file=missing)
    assert str(missing) in str(refused.value) and PASSWORD not in str(refused.value)
    with pytest.raises(ConfigurationError, match="does not exist"):
        make_engine(f"{URL}?sslrootcert={missing}")


def test_sqlite_has_no_use_for_a_ca_file() -> None:
    engine = make_engine("sqlite://", ca_file=CA_FILE)
    try:
        assert dict(engine.url.query) == {}
    finally:
        engine.dispose()


def test_the_web_engine_of_a_database_in_memory_has_no_pool_to_size() -> None:
    # SQLite in memory lives in one connection per thread: the pool settings do not apply.
    container = bootstrap(Settings(), database_url="sqlite://")
    web = container.for_web()
    try:
        assert web.engine.pool.__class__.__name__ == "SingletonThreadPool"
    finally:
        web.close()
        container.close()

"""PostgreSQL as a managed service serves it: over TLS only, the server's certificate verified
(``sslmode=verify-full``) against the CA file of ``GARDIEN_DATABASE_CA_FILE`` or of the URL's
``sslrootcert`` (docs/postgresql.md).

One private server for the module (tests/support/postgres_tls.py), stopped whatever happens;
each test migrates a database of its own through the command line, as an operator would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from gardien.store.engine import make_engine
from gardien.store.migrate import head_revision, revisions_after
from tests.support.postgres_tls import TlsServer, tls_server

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server() -> Iterator[TlsServer]:
    with tls_server() as running:
        yield running


@pytest.fixture
def database(server: TlsServer) -> str:
    """A new, empty database on the private server; its name."""
    name = f"gardien_tls_{uuid.uuid4().hex[:10]}"
    admin = make_engine(server.url(), ca_file=server.ca_file)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    finally:
        admin.dispose()
    return name


def _gardien(url: str, *args: str, ca_file: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GARDIEN_")}
    env["GARDIEN_DATABASE_URL"] = url
    if ca_file is not None:
        env["GARDIEN_DATABASE_CA_FILE"] = str(ca_file)
    return subprocess.run(
        [sys.executable, "-m", "gardien", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_db_upgrade_over_verify_full_with_the_ca_file_setting(
    server: TlsServer, database: str
) -> None:
    # No sslmode in the URL: the CA file setting makes it verify-full.
    result = _gardien(server.url(database), "db", "upgrade", ca_file=server.ca_file)

    assert result.returncode == 0, result.stderr
    applied = len(revisions_after(None))
    assert result.stdout == (
        f"applied {applied} migration(s): database at revision {head_revision()}\n"
    )
    # The connection was TLS, and the server was verified (what libpq agreed to, seen from
    # the server's side: pg_stat_ssl).
    engine = make_engine(server.url(database), ca_file=server.ca_file)
    try:
        with engine.connect() as connection:
            assert connection.execute(
                text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            ).scalar_one()
            assert connection.execute(text("SHOW ssl")).scalar_one() == "on"
    finally:
        engine.dispose()


def test_the_urls_own_sslmode_and_sslrootcert_keep_working(
    server: TlsServer, database: str
) -> None:
    query = f"sslmode=verify-full&sslrootcert={server.ca_file}"
    url = server.url(database, query=query)

    first = _gardien(url, "db", "upgrade")
    again = _gardien(url, "db", "current")

    assert first.returncode == 0, first.stderr
    assert first.stdout.endswith(f"database at revision {head_revision()}\n")
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"database: {head_revision()}; head: {head_revision()}\n"


def test_a_server_signed_by_another_ca_is_refused_with_a_clear_error(
    server: TlsServer, database: str
) -> None:
    result = _gardien(server.url(database), "db", "upgrade", ca_file=server.wrong_ca_file)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("gardien: cannot connect to the database:"), result.stderr
    assert "certificate verify failed" in result.stderr
    assert result.stderr.count("\n") == 1  # one line, no traceback
    assert server.password not in result.stderr


def test_a_host_name_the_certificate_does_not_name_is_refused(
    server: TlsServer, database: str
) -> None:
    # The right address, reached under another name (hostaddr): what a diverted connection
    # looks like to the client. The certificate names localhost and 127.0.0.1 only.
    url = server.url(database, host="db.example.org", query="hostaddr=127.0.0.1")

    result = _gardien(url, "db", "upgrade", ca_file=server.ca_file)

    assert result.returncode == 2
    assert result.stderr.startswith("gardien: cannot connect to the database:"), result.stderr
    assert 'does not match host name "db.example.org"' in result.stderr
    assert result.stderr.count("\n") == 1
    assert server.password not in result.stderr


def test_a_client_without_tls_is_refused_by_the_server(server: TlsServer, database: str) -> None:
    # pg_hba.conf has hostssl lines only: the server itself refuses plain connections, so the
    # tests above could not have passed without TLS.
    result = _gardien(server.url(database, query="sslmode=disable"), "db", "current")

    assert result.returncode == 2
    assert "no pg_hba.conf entry" in result.stderr
    assert "no encryption" in result.stderr or "SSL off" in result.stderr  # PostgreSQL < 14
    assert server.password not in result.stderr

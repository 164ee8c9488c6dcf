"""A request whose statement runs past ``GARDIEN_DATABASE_STATEMENT_TIMEOUT_SECONDS`` is answered
503 (a page in French or English, JSON for the xAPI) with nothing stored, and the same request
goes through once the database is fast again (docs/postgresql.md).

The database is made slow for real: a trigger that sleeps 30 s before each new contact message
and statement, on PostgreSQL (SQLite has no sleep a trigger could call).
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine, Table, func, select, text

from gardien.store.engine import make_engine
from gardien.store.tables import activity_statement, contact_message
from tests.support.server import running_server
from tests.support.web import csrf_of
from tests.support.xapi_samples import HOME, add_client, basic, load_learners, statement

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
MESSAGE = {"name": "Ana Martin", "email": "ana.slow@example.org", "message": "Bonjour !"}
SLOW_TABLES = ("contact_message", "activity_statement")
# The slow trigger sleeps in PL/pgSQL: SQLite has no sleep a trigger could call.
POSTGRESQL_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


def _slow_down(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE FUNCTION gardien_test_slow() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$"
            )
        )
        for table in SLOW_TABLES:
            connection.execute(
                text(
                    f"CREATE TRIGGER gardien_test_slow BEFORE INSERT ON {table}"
                    " FOR EACH ROW EXECUTE FUNCTION gardien_test_slow()"
                )
            )


def _speed_up(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in SLOW_TABLES:
            connection.execute(text(f"DROP TRIGGER gardien_test_slow ON {table}"))


def _count(engine: Engine, table: Table) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _serve(database_url: str, **settings: str) -> Iterator[tuple[str, Engine, dict[str, str]]]:
    engine = make_engine(database_url)
    load_learners(engine)
    client = add_client(engine)
    env = {
        "GARDIEN_DATABASE_URL": database_url,
        "GARDIEN_NOW": NOW.isoformat(),
        "GARDIEN_PUBLIC_URL": HOME,
        "GARDIEN_DATABASE_STATEMENT_TIMEOUT_SECONDS": "1",
        "GARDIEN_WRITE_WAIT_SECONDS": "0.5",
        **settings,
    }
    try:
        with running_server(env) as base:
            yield base, engine, basic(client)
    finally:
        engine.dispose()


@pytest.fixture
def served(database_url: str) -> Iterator[tuple[str, Engine, dict[str, str]]]:
    yield from _serve(database_url)


@pytest.fixture
def served_by_one_connection(database_url: str) -> Iterator[tuple[str, Engine, dict[str, str]]]:
    yield from _serve(
        database_url,
        GARDIEN_DATABASE_POOL_SIZE="1",
        GARDIEN_DATABASE_MAX_OVERFLOW="0",
        GARDIEN_DATABASE_STATEMENT_TIMEOUT_SECONDS="4",
    )


@POSTGRESQL_ONLY
def test_a_statement_past_the_timeout_is_answered_503_and_nothing_is_stored(
    served: tuple[str, Engine, dict[str, str]],
) -> None:
    base, engine, xapi_headers = served
    kept = statement("lea")
    with httpx.Client(base_url=base, timeout=60.0, trust_env=False) as visitor:
        token = csrf_of(visitor.get("/contact").text)
        en_token = csrf_of(visitor.get("/en/contact").text)
        _slow_down(engine)
        try:
            fr = visitor.post("/contact", data={**MESSAGE, "csrf": token})
            en = visitor.post("/en/contact", data={**MESSAGE, "csrf": en_token})
            refused = visitor.post("/xapi/statements", json=kept, headers=xapi_headers)
        finally:
            _speed_up(engine)
        assert (_count(engine, contact_message), _count(engine, activity_statement)) == (0, 0)

        for page, heading, says in (
            (fr, "Le service a mis trop de temps à répondre", "Rien n'a été enregistré"),
            (en, "The service took too long", "Nothing was recorded"),
        ):
            assert page.status_code == 503, page.text[:300]
            assert page.headers["content-type"].startswith("text/html")
            assert int(page.headers["retry-after"]) > 0
            words = html.unescape(page.text)
            assert heading in words and says in words
        assert refused.status_code == 503
        assert refused.headers["x-experience-api-version"].startswith("1.0")
        assert refused.json() == {
            "error": "the database took too long to answer: nothing was stored, try again later"
        }

        # Fast again: the same statement is stored (sending it again was safe).
        stored = visitor.post("/xapi/statements", json=kept, headers=xapi_headers)
        assert stored.status_code == 200, stored.text
        assert stored.json() == [kept["id"]]
        assert _count(engine, activity_statement) == 1


@POSTGRESQL_ONLY
def test_a_request_that_finds_every_connection_in_use_is_answered_503_within_its_wait(
    served_by_one_connection: tuple[str, Engine, dict[str, str]],
) -> None:
    # One connection in the pool, held by a statement the slow trigger keeps running: another
    # request waits GARDIEN_WRITE_WAIT_SECONDS (0.5) for a connection, then 503, at once, not
    # a 500 after 30 s; once the connection is free again it is served.
    base, engine, xapi_headers = served_by_one_connection
    with httpx.Client(base_url=base, timeout=60.0, trust_env=False) as visitor:
        assert visitor.get("/xapi/statements", headers=xapi_headers).status_code == 200
        _slow_down(engine)
        try:
            with ThreadPoolExecutor(1) as pool:
                held = pool.submit(
                    visitor.post, "/xapi/statements", json=statement("lea"), headers=xapi_headers
                )
                time.sleep(1.5)  # the statement holds the only connection, in the trigger
                started = time.monotonic()
                refused = visitor.get("/xapi/statements", headers=xapi_headers)
                waited = time.monotonic() - started
                assert held.result().status_code == 503  # past its own statement timeout
        finally:
            _speed_up(engine)
        assert refused.status_code == 503, refused.text[:300]
        assert int(refused.headers["retry-after"]) > 0
        assert "busy" in refused.json()["error"]
        assert waited < 3.0  # its wait for a connection, well before the holder let go
        assert visitor.get("/xapi/statements", headers=xapi_headers).status_code == 200

"""A server that never freezes (issue 15): another process holds the database's write lock for
10 s; meanwhile ``gardien serve`` answers readers at once, answers writers 503 with Retry-After
within their budget (an HTML page in French or English, JSON for the xAPI), writes nothing
half, and takes the same requests once the lock is gone. See docs/busy.md.

Latencies are printed (``pytest -s``). The claim asserted is "no freeze": every read answers in
under 1 s while the lock is held (before, ``/health`` took 9.7 s behind a 12 s lock). The
issue's target is 100 ms; 1 s is the bound because CI shares 2 cores with other jobs and this
test runs 50 client threads of its own, and a frozen server would take the whole budget (2 s)
or the whole lock (10 s).
"""

from __future__ import annotations

import html
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select, update

from gardien.store.engine import make_engine
from gardien.store.tables import (
    activity_statement,
    audit_entry,
    contact_message,
    learner,
    web_session,
)
from tests.support.burst import post_at_once
from tests.support.locks import WriteLockHolder
from tests.support.server import running_server
from tests.support.web import WebClient, csrf_of, make_account
from tests.support.xapi_samples import HOME, add_client, basic, email, load_learners, statement

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
HELD_SECONDS = 10.0
READ_BOUND_SECONDS = 1.0  # see the module's docstring
BURST = 44  # more writers than anyio's 40 threads: they must not starve the readers
READS = ("/health", "/confidentialite", "/", "/en/contact")
MESSAGE = {"name": "Ana Martin", "email": "ana.busy@example.org", "message": "Bonjour !"}


class Site:
    """The served database, the xAPI client's headers, and a client that reads."""

    def __init__(self, base: str, url: str, engine: Engine, xapi_headers: dict[str, str]) -> None:
        self.base = base
        self.url = url
        self.engine = engine
        self.xapi_headers = xapi_headers
        self.http = httpx.Client(base_url=base, timeout=30.0)

    def count(self, table: Any) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(table)).scalar_one())

    def counts(self) -> dict[str, int]:
        tables = (contact_message, audit_entry, activity_statement)
        return {table.name: self.count(table) for table in tables}

    def post_statement(self, body: dict[str, Any]) -> httpx.Response:
        return self.http.post("/xapi/statements", json=body, headers=self.xapi_headers)

    def burst(self, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return post_at_once(self.base, "/xapi/statements", bodies, headers=self.xapi_headers)


@pytest.fixture
def site(database_url: str) -> Iterator[Site]:
    engine = make_engine(database_url)
    load_learners(engine)
    client = add_client(engine)
    with engine.connect() as connection:
        lea = connection.execute(select(learner.c.id).where(learner.c.email == email("lea")))
        learner_id = int(lea.scalar_one())
    make_account(engine, email=email("lea"), role="learner", learner_id=learner_id, created_at=NOW)
    env = {
        "GARDIEN_DATABASE_URL": database_url,
        "GARDIEN_NOW": NOW.isoformat(),
        "GARDIEN_PUBLIC_URL": HOME,
    }
    try:
        with running_server(env) as base:
            served = Site(base, database_url, engine, basic(client))
            with served.http:
                yield served
    finally:
        engine.dispose()


def _contact_form(stack: ExitStack, base: str, path: str) -> tuple[httpx.Client, str]:
    """A visitor with the form open: their cookies, and the form's CSRF token."""
    visitor = stack.enter_context(httpx.Client(base_url=base, timeout=30.0))
    return visitor, csrf_of(visitor.get(path).text)


def _read_once(site: Site, latencies: dict[str, list[float]]) -> None:
    for path in READS:
        started = time.perf_counter()
        answer = site.http.get(path)
        latencies.setdefault(path, []).append(time.perf_counter() - started)
        assert answer.status_code == 200, (path, answer.status_code)


def _read_while(site: Site, pending: list[Future[Any]], latencies: dict[str, list[float]]) -> None:
    """Read the public pages again and again until every pending writer has its answer."""
    _read_once(site, latencies)
    while not all(future.done() for future in pending):
        time.sleep(0.1)
        _read_once(site, latencies)


def _report(latencies: dict[str, list[float]]) -> None:
    for path, seconds in latencies.items():
        print(  # noqa: T201 - the figures the issue asks for
            f"while locked, GET {path}: {len(seconds)} answers, median"
            f" {statistics.median(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms"
            " (target 100 ms)"
        )


def test_readers_are_served_and_writers_answered_503_while_another_process_holds_the_lock(
    site: Site,
) -> None:
    stack = ExitStack()
    with stack:
        fr_visitor, fr_token = _contact_form(stack, site.base, "/contact")
        en_visitor, en_token = _contact_form(stack, site.base, "/en/contact")
        learner_client = WebClient.open(site.base)
        stack.callback(learner_client.close)
        learner_client.sign_in(email("lea"))
        _locked_then_released(site, fr_visitor, fr_token, en_visitor, en_token, learner_client)


def _locked_then_released(
    site: Site,
    fr_visitor: httpx.Client,
    fr_token: str,
    en_visitor: httpx.Client,
    en_token: str,
    learner_client: WebClient,
) -> None:
    kept = statement("lea")
    before = site.counts()
    # Once before the lock: what is measured is waiting, not the first rendering of a page.
    _read_once(site, {})
    assert learner_client.get("/my-data").status_code == 200
    # The learner's session is due its once-a-minute touch, a write: it must not hold up
    # their page while the lock is held (the touch waits for a later request).
    with site.engine.begin() as connection:
        connection.execute(update(web_session).values(last_seen_at=NOW - timedelta(minutes=5)))
    latencies: dict[str, list[float]] = {}
    tables = [contact_message.name, activity_statement.name]

    with WriteLockHolder(site.url, tables=tables) as holder, ThreadPoolExecutor(4) as pool:
        # Writers whose budget (2 s) runs out while the lock is held...
        contact_fr = pool.submit(fr_visitor.post, "/contact", data={**MESSAGE, "csrf": fr_token})
        contact_en = pool.submit(en_visitor.post, "/en/contact", data={**MESSAGE, "csrf": en_token})
        xapi = pool.submit(site.post_statement, kept)
        _read_while(site, [contact_fr, contact_en, xapi], latencies)
        started = time.perf_counter()
        my_data = learner_client.get("/my-data")
        my_data_seconds = time.perf_counter() - started
        # ... then more writers at once than the server has threads.
        burst = pool.submit(site.burst, [statement("noe") for _ in range(BURST)])
        _read_while(site, [burst], latencies)
        answers = [contact_fr.result(), contact_en.result(), xapi.result()]
        burst_answers = burst.result()
        # Every writer had its answer while the lock was still held: none waited for it.
        assert holder.holding
        while time.monotonic() - holder.since < HELD_SECONDS:  # the lock is held 10 s
            time.sleep(0.1)
            _read_once(site, latencies)

    _report(latencies)
    print(f"while locked, GET /my-data signed in: {my_data_seconds * 1000:.0f} ms")  # noqa: T201
    for path, seconds in latencies.items():
        assert max(seconds) < READ_BOUND_SECONDS, (path, seconds)
    assert my_data_seconds < READ_BOUND_SECONDS
    assert my_data.status_code == 200 and email("lea") in my_data.text

    fr, en, refused = answers
    for page, heading, says in (
        (fr, "Service momentanément occupé", "Rien n'a été enregistré"),
        (en, "The service is busy", "Nothing was recorded"),
    ):
        assert page.status_code == 503, page.text[:300]
        assert int(page.headers["retry-after"]) > 0
        assert page.headers["content-type"].startswith("text/html")
        text = html.unescape(page.text)
        assert heading in text and says in text
    seen = [
        {"status": refused.status_code, "headers": dict(refused.headers), "json": refused.json()},
        *burst_answers,
    ]
    for answer in seen:
        assert answer["status"] == 503, answer
        assert int(answer["headers"]["retry-after"]) > 0
        assert answer["headers"]["x-experience-api-version"] == "1.0.3"
        assert "busy" in answer["json"]["error"]

    # Nothing half written: no message, no audit entry, no statement.
    assert site.counts() == before
    # The lock gone, the same requests succeed.
    sent = fr_visitor.post("/contact", data={**MESSAGE, "csrf": fr_token})
    assert sent.status_code == 200 and "Message envoyé" in html.unescape(sent.text)
    stored = site.post_statement(kept)
    assert stored.status_code == 200 and stored.json() == [kept["id"]]
    assert site.count(contact_message) == before[contact_message.name] + 1
    assert site.count(activity_statement) == before[activity_statement.name] + 1

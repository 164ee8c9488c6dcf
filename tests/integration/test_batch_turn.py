"""Batches of statements take one turn per process (web/write_turns.py, ``BATCH_TURN``;
docs/busy.md, 5): a POST or PUT of statements waits for the batch in progress, within its
budget, then answers 503 with nothing stored; the turn is given back whatever the batch's
outcome. Through the app in this process, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from gardien.bootstrap import bootstrap
from gardien.errors import BusyError
from gardien.settings import Settings
from gardien.store.engine import make_engine
from gardien.store.tables import activity_statement
from gardien.web.app import create_app
from gardien.web.write_turns import BATCH_TURN, BatchTurn
from tests.support.xapi_samples import HOME, add_client, basic, load_learners, statement

WAIT_SECONDS = 0.3
SECRET = "Jq3ZbV0nHc8uXw5tRk2yMf7aPd4sLe9gTo1iNr6hUzE"  # secrets.token_urlsafe(32)


@pytest.fixture
def app(database_url: str) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    engine = make_engine(database_url)
    try:
        load_learners(engine)
        headers = {**basic(add_client(engine)), "X-Experience-API-Version": "1.0.3"}
    finally:
        engine.dispose()
    container = bootstrap(
        Settings(secret_key=SECRET, public_url=HOME, write_wait_seconds=WAIT_SECONDS),
        database_url=database_url,
    )
    served = create_app(container)
    try:
        yield served, headers
    finally:
        served.state.container.close()
        container.close()


def _send(app: FastAPI, method: str, path: str, **request: Any) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=HOME) as client:
            return await client.request(method, path, **request)

    return asyncio.run(send())


def _stored(app: FastAPI) -> int:
    with app.state.container.engine.connect() as connection:
        count = select(func.count()).select_from(activity_statement)
        return int(connection.execute(count).scalar_one())


def test_a_batch_waits_for_the_turn_its_budget_then_503_and_nothing_stored(
    app: tuple[FastAPI, dict[str, str]],
) -> None:
    served, headers = app
    batch = [statement("lea"), statement("noe")]
    with BATCH_TURN.taken(1.0):  # another batch of this process in progress
        started = time.monotonic()
        answer = _send(served, "POST", "/xapi/statements", json=batch, headers=headers)
        waited = time.monotonic() - started
        put = _send(
            served,
            "PUT",
            "/xapi/statements",
            params={"statementId": batch[0]["id"]},
            json=batch[0],
            headers=headers,
        )
    assert (answer.status_code, put.status_code) == (503, 503)
    assert answer.headers["Retry-After"] and "nothing was stored" in answer.json()["error"]
    assert waited >= WAIT_SECONDS  # it waited its budget for the turn, not less
    assert _stored(served) == 0
    # The turn given back, the same batch is stored whole.
    again = _send(served, "POST", "/xapi/statements", json=batch, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json() == [s["id"] for s in batch]
    assert _stored(served) == 2


def test_reads_do_not_take_the_turn(app: tuple[FastAPI, dict[str, str]]) -> None:
    served, headers = app
    with BATCH_TURN.taken(1.0):
        answer = _send(served, "GET", "/xapi/statements", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["statements"] == []


def test_a_refused_or_conflicting_batch_gives_the_turn_back(
    app: tuple[FastAPI, dict[str, str]],
) -> None:
    served, headers = app
    first = statement("lea")
    refused = _send(served, "POST", "/xapi/statements", json=[{"actor": {}}], headers=headers)
    assert refused.status_code == 400
    stored = _send(served, "POST", "/xapi/statements", json=[first], headers=headers)
    assert stored.status_code == 200, stored.text
    other = {**first, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}}
    conflict = _send(served, "POST", "/xapi/statements", json=[other], headers=headers)
    assert conflict.status_code == 409
    # Had any of them kept the turn, this one would wait its budget and answer 503.
    last = _send(served, "POST", "/xapi/statements", json=[statement("noe")], headers=headers)
    assert last.status_code == 200, last.text
    assert _stored(served) == 2


def test_one_taker_at_a_time_and_the_turn_survives_a_failure() -> None:
    turn = BatchTurn()
    inside = threading.Event()
    leave = threading.Event()
    order: list[str] = []

    def first() -> None:
        with turn.taken(1.0):
            order.append("first in")
            inside.set()
            leave.wait(5)
            order.append("first out")

    holder = threading.Thread(target=first)
    holder.start()
    assert inside.wait(5)
    # Taken: a second taker gives up after its wait.
    with pytest.raises(BusyError), turn.taken(0.05):
        order.append("never")
    threading.Timer(0.1, leave.set).start()
    with turn.taken(5.0):  # waits for the first to leave
        order.append("second in")
    holder.join()
    assert order == ["first in", "first out", "second in"]
    with pytest.raises(RuntimeError), turn.taken(1.0):
        raise RuntimeError("a batch that fails")
    with turn.taken(0.05):  # given back after the failure
        order.append("after the failure")
    assert order[-1] == "after the failure"

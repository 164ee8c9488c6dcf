"""A request link posted twice at once, to two servers on one database (two web workers behind
a load balancer), on SQLite and PostgreSQL: both answer with the one request it filed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from gardien.store.engine import make_engine
from gardien.store.tables import outbox_message, subject_request
from tests.support.locks import audit_head_held
from tests.support.server import running_server
from tests.support.threads import run_together
from tests.support.web import csrf_of

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
VISITOR = "visiteuse.course@example.org"
REFERENCE = re.compile(r"DSR-[A-Z2-9]{10}")


@pytest.fixture
def two_servers(database_url: str) -> Iterator[tuple[str, str, Engine]]:
    engine = make_engine(database_url)
    env = {"GARDIEN_DATABASE_URL": database_url, "GARDIEN_NOW": NOW.isoformat()}
    with running_server(env) as first, running_server(env) as second:
        yield first, second, engine
    engine.dispose()


def _count(engine: Engine, query: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _verify_link(engine: Engine) -> str:
    with engine.connect() as connection:
        [body] = connection.execute(
            select(outbox_message.c.body).where(outbox_message.c.kind == "request_verify")
        ).scalars()
    found = re.search(r"http://127\.0\.0\.1:\d+(/requests/verify/\S+)", body)
    assert found, body
    return found.group(1)


def test_a_link_posted_twice_at_once_answers_twice_with_one_request(
    two_servers: tuple[str, str, Engine],
) -> None:
    first, second, engine = two_servers
    with httpx.Client(base_url=first, timeout=60.0) as client:
        form = client.get("/requests").text
        sent = client.post(
            "/requests", data={"email": VISITOR, "kind": "access", "csrf": csrf_of(form)}
        )
        assert sent.status_code == 200
    link = _verify_link(engine)

    clients = [httpx.Client(base_url=base, timeout=60.0) for base in (first, second)]
    pages = [client.get(link).text for client in clients]
    answers: list[httpx.Response] = []

    def post(client: httpx.Client, page: str) -> None:
        data = {"email": VISITOR, "details": "", "csrf": csrf_of(page)}
        answers.append(client.post(link, data=data))

    try:
        # PostgreSQL: both posts reach the database before either commits (tests/support/locks).
        with audit_head_held(engine, waiters=2) as release:
            run_together(
                lambda: post(clients[0], pages[0]), lambda: post(clients[1], pages[1]), release
            )
    finally:
        for client in clients:
            client.close()

    assert [answer.status_code for answer in answers] == [200, 200]
    shown = [set(REFERENCE.findall(answer.text)) for answer in answers]
    assert shown[0] == shown[1] and len(shown[0]) == 1
    [reference] = shown[0]
    with engine.connect() as connection:
        assert connection.execute(select(subject_request.c.reference)).scalars().all() == [
            reference
        ]
    filed = select(func.count()).where(outbox_message.c.kind == "request_filed")
    assert _count(engine, filed) == 1

"""Over real HTTP, on SQLite and PostgreSQL: a registered platform (tests/support/lrs.py) posts
statements naming strangers in every place an agent can stand; the raw scan of every column of
every table finds no address, name or unkeyed digest of anyone; each statement is read back
by its id, and found by agent (mbox or mbox_sha1sum) with ``related_agents``."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from gardien.store.engine import make_engine
from tests.support.lrs import VERBS, credentials, register_client
from tests.support.server import running_server
from tests.support.xapi_agents import PLACES, STRANGERS, ZOE, named_in_clear, sha1
from tests.support.xapi_samples import HOME, MODULES, load_learners

pytestmark = pytest.mark.e2e


def _statement(place: str, agent: dict[str, Any]) -> dict[str, Any]:
    by_learner = {"objectType": "Agent", "mbox": "mailto:lea.xapi@example.org"}
    return {
        "id": str(uuid.uuid4()),
        "actor": by_learner,
        "verb": {"id": f"{VERBS}attended"},
        "object": {"objectType": "Activity", "id": MODULES["M1"]},
        "timestamp": "2026-01-15T10:00:00Z",
        **PLACES[place](agent),
    }


def test_every_place_over_http(database_url: str) -> None:
    engine = make_engine(database_url)
    load_learners(engine)
    client = register_client(engine)
    engine.dispose()
    sent = {
        (place, kind): _statement(place, agent)
        for place in PLACES
        for kind, agent in STRANGERS.items()
    }
    env = {"GARDIEN_DATABASE_URL": database_url, "GARDIEN_PUBLIC_URL": HOME}
    with running_server(env) as base:
        url, headers = f"{base}/xapi/statements", credentials(client)
        answer = httpx.post(url, json=list(sent.values()), headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        for (place, kind), item in sent.items():
            read = httpx.get(url, params={"statementId": item["id"]}, headers=headers)
            assert read.status_code == 200, (place, kind, read.text)
        for agent in ({"mbox": f"mailto:{ZOE}"}, {"mbox_sha1sum": sha1(ZOE)}):
            query = {"agent": json.dumps(agent), "related_agents": "true", "limit": "0"}
            found = httpx.get(url, params=query, headers=headers).json()["statements"]
            expected = {
                item["id"]
                for (place, kind), item in sent.items()
                if kind == "mbox" and place != "authority" and "group" not in place
                and "team" not in place
            }  # fmt: skip
            assert {s["id"] for s in found} == expected
    engine = make_engine(database_url)
    try:
        assert named_in_clear(engine) == []
    finally:
        engine.dispose()

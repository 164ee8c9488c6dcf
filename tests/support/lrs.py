"""Learner activity the way production receives it: a registered xAPI client posts statements
to a running gardien (tests/support/server.py) over HTTP.

End-to-end tests put activity in the database through here rather than by import or insert,
so that what they read back (« Mes données », exports, erasure) is what the LRS stores: rows
with their client, pseudonymised actors, the client as authority.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Engine

from gardien.domain.clock import FixedClock
from gardien.services.xapi.clients import NewClient, create_client
from gardien.store.uow import UnitOfWork

VERBS = "http://adlnet.gov/expapi/verbs/"
REGISTERED = datetime(2025, 1, 1, tzinfo=UTC)


def register_client(
    engine: Engine, name: str = "Plateforme e-learning de test", *, at: datetime = REGISTERED
) -> NewClient:
    """A client registered through the service ``gardien xapi client add`` uses."""
    return create_client(UnitOfWork(engine, write=True), name=name, clock=FixedClock(at))


def credentials(client: NewClient) -> dict[str, str]:
    """The headers of a request by ``client``: HTTP Basic and the xAPI version."""
    token = base64.b64encode(f"{client.key}:{client.secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}


@dataclass(frozen=True)
class Activity:
    """One thing a learner did, as content reports it: ``verb`` is a name under ADL's verbs."""

    verb: str
    activity: str
    at: datetime
    score: float | None = None


def as_statement(email: str, done: Activity) -> dict[str, Any]:
    """``done`` as a platform sends it: the learner named by their address (mbox)."""
    statement: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
        "verb": {"id": f"{VERBS}{done.verb}", "display": {"en-US": done.verb}},
        "object": {"objectType": "Activity", "id": done.activity},
        "timestamp": done.at.isoformat(),
    }
    if done.score is not None:
        statement["result"] = {"score": {"scaled": done.score}, "success": done.score >= 0.5}
    return statement


def post_activity(
    base: str, client: NewClient, email: str, activities: Sequence[Activity]
) -> list[str]:
    """POST the learner ``email``'s ``activities`` in one request; the ids the LRS stored.

    Fails the test, with the LRS's answer, unless it stores them all.
    """
    statements = [as_statement(email, done) for done in activities]
    answer = httpx.post(
        f"{base}/xapi/statements",
        json=statements,
        headers=credentials(client),
        timeout=30.0,
        trust_env=False,
    )
    if answer.status_code != 200:
        raise AssertionError(f"the LRS refused the statements: {answer.status_code} {answer.text}")
    ids: list[str] = answer.json()
    assert ids == [statement["id"] for statement in statements], ids
    return ids

"""The demo's e-learning platform: it sends the demo's activity to gardien's LRS over HTTP.

In production every learning statement reaches gardien through ``POST /xapi/statements``, sent
by a registered client with its HTTP Basic credentials (docs/xapi.md). The demo does the same,
so that what it shows (and what its tests check) is what the LRS stores: statements with their
client as authority, pseudonymised at the door, moving last activity and progress.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import count
from typing import Any

import httpx
import orjson
from sqlalchemy import Engine

from gardien.domain.clock import Clock
from gardien.errors import XapiSendError
from gardien.services.importing.context import Progress
from gardien.services.importing.document import ImportDocument, LearnerIn, StatementIn
from gardien.services.importing.pseudonymise import brief_statement
from gardien.services.xapi.clients import NewClient, create_client
from gardien.store import xapi as store
from gardien.store.uow import UnitOfWork

CLIENT_NAME = "Plateforme e-learning (démo)"
# What bench/ingest.py sends per request, and what a platform syncing its queue does.
BATCH_SIZE = 50
XAPI_VERSION = "1.0.3"
PROGRESS_KIND = "statements sent to /xapi/statements"


def register_client(engine: Engine, *, clock: Clock) -> NewClient:
    """Register the demo platform as an xAPI client, and return its credentials.

    Names are never reused, and a previous demo's client cannot be used again (only a digest
    of its secret is kept), so a demo loaded into the same database again registers
    ``Plateforme e-learning (démo 2)``, and so on.
    """
    with engine.connect() as connection:
        name = next(n for n in _client_names() if not store.client_name_taken(connection, n))
    return create_client(UnitOfWork(engine, write=True), name=name, clock=clock)


def _client_names() -> Iterator[str]:
    yield CLIENT_NAME
    for number in count(2):
        yield f"{CLIENT_NAME.removesuffix(')')} {number})"


def xapi_statement(statement: StatementIn, learner: LearnerIn) -> dict[str, Any]:
    """``statement`` as the platform sends it: the learner named by address, as LMSs do.

    The LRS replaces the actor by the learner's pseudonym before storing (docs/xapi.md,
    "Pseudonymisation at the door"), so neither the address nor the name is stored.
    """
    agent = {
        "objectType": "Agent",
        "name": f"{learner.given_name} {learner.family_name}",
        "mbox": f"mailto:{learner.email}",
    }
    sent = brief_statement(statement, agent)
    verb = statement.verb.rsplit("/", 1)[-1]
    sent["verb"] = {"id": statement.verb, "display": {"en-US": verb}}
    return sent


def statement_batches(
    document: ImportDocument, *, size: int = BATCH_SIZE
) -> list[list[dict[str, Any]]]:
    """The document's statements as requests: each learner's in timestamp order, ``size`` each.

    Learners come in the document's order. In timestamp order, a quiz failed then passed moves
    the module's progress to passed, as it did for the learner.
    """
    learners = {learner.email: learner for learner in document.learners}
    by_learner: dict[str, list[StatementIn]] = {}
    for statement in document.statements:
        by_learner.setdefault(statement.learner, []).append(statement)
    ordered = [
        xapi_statement(statement, learners[email])
        for email, statements in by_learner.items()
        # sorted() is stable: statements at the same instant keep the order they happened in.
        for statement in sorted(statements, key=lambda s: s.timestamp)
    ]
    return [ordered[start : start + size] for start in range(0, len(ordered), size)]


def send_statements(
    base_url: str,
    client: NewClient,
    batches: Sequence[Sequence[dict[str, Any]]],
    *,
    progress: Progress | None = None,
    timeout: float = 60.0,
) -> int:
    """POST each batch to ``base_url``'s ``/xapi/statements``; how many statements were stored.

    Every answer is checked: a status other than 200, or ids other than those sent, raises
    :class:`XapiSendError` naming the batch, the HTTP status and the LRS's error; the batches
    before it are stored, those after it are not sent. ``progress(kind, done, total)`` is
    called after each answer.
    """
    total = sum(len(batch) for batch in batches)
    sent = 0
    # trust_env=False: a proxy set in the environment must not see loopback traffic.
    with httpx.Client(
        base_url=base_url,
        auth=httpx.BasicAuth(client.key, client.secret),
        headers={
            "X-Experience-API-Version": XAPI_VERSION,
            "Content-Type": "application/json",
        },
        timeout=timeout,
        trust_env=False,
    ) as http:
        for batch in batches:
            where = f"statements {sent + 1}-{sent + len(batch)} of {total}"
            try:
                answer = http.post("/xapi/statements", content=orjson.dumps(batch))
            except httpx.HTTPError as error:
                # The class name only: httpx's messages may carry the URL and its credentials.
                raise XapiSendError(
                    f"the Learning Record Store did not answer for {where} ({type(error).__name__})"
                ) from None
            _check(answer, batch, where)
            sent += len(batch)
            if progress is not None:
                progress(PROGRESS_KIND, sent, total)
    return sent


def _check(answer: httpx.Response, batch: Sequence[dict[str, Any]], where: str) -> None:
    body = _json(answer)
    if answer.status_code != 200:
        error, prop = None, None
        if isinstance(body, dict):
            error = str(body.get("error") or "") or None
            prop = str(body.get("property") or "") or None
        raise XapiSendError(
            f"the Learning Record Store refused {where}",
            status=answer.status_code,
            error=error or answer.reason_phrase or None,
            prop=prop,
        )
    if body != [statement["id"] for statement in batch]:
        raise XapiSendError(
            f"the Learning Record Store answered {where} with other ids than those sent",
            status=answer.status_code,
        )


def _json(answer: httpx.Response) -> Any:
    try:
        return orjson.loads(answer.content)
    except orjson.JSONDecodeError:
        return None

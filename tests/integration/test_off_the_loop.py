"""No route calls the database (nor Argon2) on the event loop (issue 15, docs/busy.md).

Two checks over every route of the app (the walk of tests/e2e/test_authorisation.py):

- by construction: every handler is a plain function, which FastAPI runs in its thread pool,
  and the only coroutines on a route's way are the named ones that read the request;
- in use: with a guard on every connection pool (and on Argon2) that refuses to run on the
  event loop's thread, each route of a server run by uvicorn in this process is requested as
  a role it is open to, and answers without a server error, having used the database.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import argon2
import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import Engine, event, insert, select
from sqlalchemy.pool import Pool

from gardien.bootstrap import bootstrap
from gardien.errors import BusyError
from gardien.services.requests import record_request
from gardien.settings import Settings
from gardien.store.engine import make_engine
from gardien.store.tables import learner, sponsor, sponsor_contact
from gardien.web.app import create_app
from gardien.web.background import serving_in_background
from gardien.web.deps import container_on_loop, pages_on_loop, read_body, read_form
from gardien.web.health import health
from tests.e2e.test_authorisation import PROTECTED
from tests.support.lrs import Activity, as_statement, credentials, register_client
from tests.support.routes import api_routes, unprefixed
from tests.support.transmission_samples import load_contracts
from tests.support.web import WebClient, csrf_of, make_account

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
LEARNER, OTHER_LEARNER = "chloe.plan@example.org", "eve.ecole@example.org"
CONTACT, DPO, ADMIN = "rh.menuiserie@example.com", "dpo.loop@example.org", "admin.loop@example.org"
API_TOKEN = "api-token-for-the-loop-test"
MODULE = "https://learning.example.org/paths/fle-a2/modules/m1"
# The coroutines allowed on a route's way: they read the request, or wait for a turn to write,
# and touch neither the database nor any file.
ASYNC_ALLOWED: set[Callable[..., Any]] = {read_form, read_body, container_on_loop, pages_on_loop}
# The public pages are served from memory on the loop; their first rendering, and a signed-in
# visitor's copy, go to the thread pool (web/pages.py). The guard below opens them both ways.
CACHED_PAGES = {"/", "/en", "/confidentialite", "/privacy"}
# Endpoints that answer on the loop because they touch neither the database nor a file: the
# liveness probe (web/health.py), which must answer even when the thread pool is full.
ON_LOOP = {health}
# Routes that answer without the database (so the guard cannot see them use it): the xAPI's
# About, and a development mail that is not there (a plain 404).
# Routes that need no database: the xAPI about resource, a dev-mail file, the stylesheet.
NO_DATABASE = {
    ("GET", "/xapi/about"),
    ("GET", "/dev/mail/{name}"),
    ("GET", "/static/gardien.css"),
}
FORM = {
    "format": "json",
    "given_name": "Chloé",
    "family_name": "Planchet",
    "confirm": "yes",
    "password": "not the password, so nothing is erased",
    "reason": "a reason",
    "note": "done",
    "role": "dpo",
    "name": "Ana Martin",
    "message": "Bonjour",
    "kind": "access",
    "consent": "yes",
    "code": "000000",
}


def _coroutines(route: APIRoute) -> Iterator[Callable[..., Any]]:
    """The endpoint and every dependency of ``route`` that is a coroutine (or async generator)."""
    calls = [route.endpoint]
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if dependant.call is not None:
            calls.append(dependant.call)
        pending.extend(dependant.dependencies)
    for call in calls:
        if inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call):
            yield call


def test_every_handler_is_a_plain_function_run_in_the_thread_pool() -> None:
    app = create_app(bootstrap(database_url="sqlite://"))
    routes = list(api_routes(app.routes))
    assert len(routes) > 90
    for path, route in routes:
        cached = {route.endpoint} if path in CACHED_PAGES else set()
        cached |= {route.endpoint} & ON_LOOP
        assert not inspect.iscoroutinefunction(route.endpoint) or cached, path
        assert set(_coroutines(route)) <= ASYNC_ALLOWED | cached, path
    assert not app.router.dependencies
    ours = {
        error: handler
        for error, handler in app.exception_handlers.items()
        if isinstance(error, type) and error.__module__.startswith("gardien")
    }
    assert len(ours) >= 6
    # The busy answer alone is a coroutine: it makes machines' JSON on the loop and pages in a
    # thread (web/handlers.py).
    ours.pop(BusyError)
    for error, handler in ours.items():
        assert not inspect.iscoroutinefunction(handler), error


# -- in use: a guard on the event loop's thread -------------------------------------------------


class LoopGuard:
    """Counts database checkouts; records any made, or any Argon2 hash, on an event loop."""

    def __init__(self) -> None:
        self.checkouts = 0
        self.on_the_loop: list[str] = []
        self._lock = threading.Lock()

    def check(self, what: str) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop runs in this thread: a worker thread
            return
        with self._lock:
            self.on_the_loop.append(what)
        raise AssertionError(f"{what} on the event loop's thread")

    def checkout(self, *_args: Any) -> None:
        with self._lock:
            self.checkouts += 1
        self.check("a database connection")

    def argon2(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(*args: Any, **kwargs: Any) -> Any:
            self.check(f"argon2 {method.__name__}")
            return method(*args, **kwargs)

        return guarded


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopGuard]:
    found = LoopGuard()
    event.listen(Pool, "checkout", found.checkout)
    for name in ("hash", "verify"):
        monkeypatch.setattr(
            argon2.PasswordHasher, name, found.argon2(getattr(argon2.PasswordHasher, name))
        )
    try:
        yield found
    finally:
        event.remove(Pool, "checkout", found.checkout)


def _id(engine: Engine, table: Any, column: Any, value: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(table.c.id).where(column == value)).scalar_one())


def _site(database_url: str) -> tuple[Engine, str]:
    """The matrix's people: a learner, a sponsor's contact, a DPO, an admin; and a request."""
    engine = make_engine(database_url)
    load_contracts(engine)
    learner_id = _id(engine, learner, learner.c.email, LEARNER)
    make_account(engine, email=LEARNER, role="learner", learner_id=learner_id, created_at=NOW)
    with engine.begin() as connection:
        sponsor_id = connection.execute(
            select(sponsor.c.id).where(sponsor.c.ref == "SP-EMP")
        ).scalar_one()
        contact_id = connection.execute(
            insert(sponsor_contact)
            .values(sponsor_id=sponsor_id, name="Contact Fictif", email=CONTACT)
            .returning(sponsor_contact.c.id)
        ).scalar_one()
        reference = record_request(
            connection,
            now=NOW,
            email=OTHER_LEARNER,
            kind="erasure",
            identity_check="email_link",
            actor="requester",
        ).reference
    make_account(
        engine, email=CONTACT, role="sponsor_contact", sponsor_contact_id=contact_id, created_at=NOW
    )
    make_account(engine, email=DPO, role="dpo", created_at=NOW)
    make_account(engine, email=ADMIN, role="admin", created_at=NOW)
    return engine, reference


def _document_params(path: str) -> dict[str, str]:
    agent = json.dumps({"objectType": "Agent", "mbox": f"mailto:{LEARNER}"})
    params = {
        "/xapi/activities/state": {"activityId": MODULE, "agent": agent, "stateId": "loop"},
        "/xapi/activities/profile": {"activityId": MODULE, "profileId": "loop"},
        "/xapi/agents/profile": {"agent": agent, "profileId": "loop"},
        "/xapi/activities": {"activityId": MODULE},
        "/xapi/agents": {"agent": agent},
    }
    return params.get(path, {})


def _target(path: str, reference: str) -> str:
    return (
        path.replace("{reference:path}", "C-EMP")
        .replace("{reference}", reference)
        .replace("{token}", "not-a-token")
        .replace("{name}", "nothing.eml")
    )


def test_no_route_uses_the_database_on_the_event_loop(database_url: str, guard: LoopGuard) -> None:
    engine, reference = _site(database_url)
    platform = register_client(engine)
    settings = Settings(api_token=API_TOKEN, now=NOW.isoformat())
    container = bootstrap(settings, database_url=database_url)
    app = create_app(container)  # the same routes as the app served below
    users = {"learner": LEARNER, "sponsor_contact": CONTACT, "dpo": DPO, "admin": ADMIN}
    sessions: dict[str, dict[str, str]] = {}  # each role's cookies, signed in once
    statement = as_statement(LEARNER, Activity("attempted", MODULE, NOW))
    try:
        # uvicorn in a thread of this process, so the guard sees the server's threads.
        with (
            serving_in_background(container) as base,
            httpx.Client(base_url=base, follow_redirects=False, timeout=30.0) as http,
        ):
            browser = WebClient(base, http)

            def as_role(role: str | None) -> None:
                http.cookies.clear()
                if role is None:
                    return
                if role not in sessions:
                    browser.sign_in(users[role], at=NOW)
                    sessions[role] = dict(http.cookies)
                http.cookies.update(sessions[role])

            for path, route in api_routes(app.routes):
                for method in sorted(route.methods - {"HEAD"}):
                    key = (method, unprefixed(path))
                    target = _target(path, reference)
                    before = guard.checkouts
                    if path.startswith("/xapi") and path != "/xapi/statements":
                        # The document resources, with the parameters each one takes.
                        answer = http.request(
                            method,
                            target,
                            params=_document_params(path),
                            json={"progress": 1} if method in ("PUT", "POST") else None,
                            headers=credentials(platform),
                        )
                    elif path.startswith("/xapi"):
                        answer = http.request(
                            method,
                            target,
                            params={"statementId": statement["id"]} if method == "PUT" else None,
                            json=statement if method != "GET" else None,
                            headers=credentials(platform),
                        )
                    elif path.startswith("/api/"):
                        answer = http.post(
                            target,
                            json={"recipient": "employer", "contract": "C-EMP"},
                            headers={"Authorization": f"Bearer {API_TOKEN}"},
                        )
                    else:
                        roles = PROTECTED.get(key)
                        # Public routes too are asked by a signed-in learner: each page then
                        # reads the session, so the guard sees every one use the database.
                        role = sorted(roles)[0] if roles else "learner"
                        as_role(None if key == ("POST", "/account/sign-in") else role)
                        if method == "GET":
                            answer = http.get(target)
                        else:
                            token = csrf_of(http.get("/account/reset").text)
                            # An address of its own per form, as a visitor would use.
                            address = f"loop.{guard.checkouts}@example.org"
                            data = {**FORM, "email": address, "csrf": token}
                            answer = http.post(target, data=data)
                        if key == ("POST", "/account/sign-out"):
                            sessions.pop(role)
                    assert answer.status_code < 500, (method, path, answer.text[:300])
                    if key not in NO_DATABASE:
                        assert guard.checkouts > before, (method, path, "no database use seen")
            # The public pages for a visitor who is not signed in: rendered once (in the
            # thread pool), then served from memory; a signed-in visitor gets a copy of their own.
            for path in sorted(CACHED_PAGES):
                as_role(None)
                first, again = http.get(path), http.get(path)
                assert first.status_code == again.status_code == 200, path
                assert first.text == again.text, path
                assert "/account/sign-out" not in again.text, path
                as_role("learner")
                assert "/account/sign-out" in http.get(path).text, path
    finally:
        container.close()
        engine.dispose()
    assert guard.on_the_loop == []
    assert guard.checkouts > 100

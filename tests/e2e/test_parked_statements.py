"""Statements parked for a person not known yet belong to that person: in their export, gone
with their erasure, attached when they become a learner. Through the real entry points: a
registered client posts over HTTP, the CLI exports, erases and imports."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import activity_statement, learner, xapi_parked
from tests.support.lookup import LOOKUP
from tests.support.retention_samples import document, identifiers_found, learner_doc
from tests.support.server import running_server
from tests.support.xapi_samples import HOME, add_client, basic, load_learners, statement

pytestmark = pytest.mark.e2e

STRANGER = "inconnue.parquee@example.com"
SHA1 = hashlib.sha1(f"mailto:{STRANGER}".encode()).hexdigest()


def gardien(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "gardien", *args],
        env={**os.environ, "GARDIEN_DATABASE_URL": url, "GARDIEN_PUBLIC_URL": HOME},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def parked(tmp_path: Path) -> Iterator[str]:
    """A database where a client sent two statements about STRANGER (by mbox, by
    mbox_sha1sum), parked, and one about a known learner, stored."""
    url = f"sqlite:///{tmp_path / 'parked.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_learners(engine)
    client = add_client(engine)
    engine.dispose()
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_PUBLIC_URL": HOME}
    with running_server({**env, "GARDIEN_XAPI_UNKNOWN_ACTORS": "park"}) as base:
        body = [
            statement(actor={"objectType": "Agent", "mbox": f"mailto:{STRANGER}"}),
            statement(actor={"objectType": "Agent", "mbox_sha1sum": SHA1}, verb="completed"),
            statement("lea"),
        ]
        answer = httpx.post(f"{base}/xapi/statements", json=body, headers=basic(client))
        assert answer.status_code == 200, answer.text
    yield url


def rows(url: str, table: Any) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(table)).all())
    finally:
        engine.dispose()


def exported(url: str, email: str) -> dict[str, Any]:
    done = gardien(url, "subject", "export", "--email", email)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_parked_statements_are_filed_under_a_keyed_lookup_only(parked: str) -> None:
    stored = rows(parked, xapi_parked)
    assert len(stored) == 2
    for row in stored:
        # Neither the address, nor its SHA-1, nor a plain SHA-256 of an identifier.
        assert STRANGER not in row.actor_lookup and SHA1 not in row.actor_lookup
        for text in (f"email:{STRANGER}", f"sha1:{SHA1}"):
            assert hashlib.sha256(text.encode()).hexdigest() not in row.actor_lookup
        assert row.actor_digest is None
    assert {row.actor_lookup for row in stored} == {
        LOOKUP.of(f"email:{STRANGER}"),
        LOOKUP.of(f"sha1:{SHA1}"),
    }


def test_a_parked_statement_is_in_the_export_and_gone_after_the_erasure(parked: str) -> None:
    data = exported(parked, STRANGER)
    assert data["found"] is True
    assert data["record_counts"] == {"xapi_parked": 2}
    (activity,) = [c for c in data["categories"] if c["category"] == "activity"]
    statements = [r["fields"]["statement"] for r in activity["records"]]
    assert {s["verb"]["id"].rsplit("/", 1)[1] for s in statements} == {"attempted", "completed"}
    assert all(r["retention"]["rule"] == "parked_statements" for r in activity["records"])
    # Someone else's export does not show them.
    assert exported(parked, "personne@example.org")["found"] is False

    erased = gardien(parked, "subject", "erase", "--email", STRANGER, "--yes", "--json")
    assert erased.returncode == 0, erased.stderr
    assert json.loads(erased.stdout)["erased"] == {"xapi_parked": 2}
    assert rows(parked, xapi_parked) == []
    # Nowhere in the database any more: neither the address nor its SHA-1.
    engine = make_engine(parked)
    try:
        assert identifiers_found(engine, [STRANGER, SHA1]) == []
    finally:
        engine.dispose()
    # The learner's own statement was not touched.
    assert len(rows(parked, activity_statement)) == 1


def test_parked_statements_become_the_learners_own_when_they_appear(
    parked: str, tmp_path: Path
) -> None:
    path = tmp_path / "arrivee.json"
    new = learner_doc(STRANGER, "Inès", "Parquée", "2025-01-10T10:00:00Z")
    path.write_text(json.dumps(document(learners=[new])), encoding="utf-8")
    done = gardien(parked, "import", str(path))
    assert done.returncode == 0, done.stderr
    assert "parked statements attached: 2 (to 1 learners)" in done.stdout
    assert rows(parked, xapi_parked) == []
    (ines,) = [row for row in rows(parked, learner) if row.email == STRANGER]
    mine = [row for row in rows(parked, activity_statement) if row.learner_id == ines.id]
    assert len(mine) == 2
    for row in mine:  # stored as any live statement: under her pseudonym only
        assert row.raw["actor"] == {
            "objectType": "Agent",
            "account": {"homePage": HOME, "name": ines.pseudonym},
        }
    data = exported(parked, STRANGER)
    assert data["record_counts"]["activity_statement"] == 2
    assert "xapi_parked" not in data["record_counts"]

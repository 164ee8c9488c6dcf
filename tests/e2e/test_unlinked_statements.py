"""Statements about a person who is not a learner yet are stored under keyed pseudonyms and
belong to that person: in their export, gone with their erasure (a placeholder where they
stand in someone else's), linked to them when they become a learner. Through the real entry
points: a registered client posts over HTTP, the CLI exports, erases and imports."""

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
from gardien.store.tables import activity_statement, learner, statement_agent
from tests.support.lookup import LOOKUP
from tests.support.retention_samples import document, identifiers_found, learner_doc
from tests.support.server import running_server
from tests.support.xapi_samples import HOME, add_client, basic, load_learners, statement

pytestmark = pytest.mark.e2e

STRANGER = "inconnue.future@example.com"
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
def unlinked(tmp_path: Path) -> Iterator[str]:
    """A database where a client sent two statements about STRANGER (by mbox, by
    mbox_sha1sum), one by a known learner naming STRANGER as instructor, and one by the
    learner alone. The retired parking setting is given, and changes nothing."""
    url = f"sqlite:///{tmp_path / 'unlinked.sqlite3'}"
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
            statement(
                "lea", context={"instructor": {"name": "Inès", "mbox": f"mailto:{STRANGER}"}}
            ),
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


def test_they_are_stored_under_a_keyed_pseudonym_only(unlinked: str) -> None:
    stored = [row for row in rows(unlinked, activity_statement) if row.learner_id is None]
    assert len(stored) == 2
    keyed = LOOKUP.of(f"sha1:{SHA1}")
    for row in stored:
        assert row.actor_name == keyed
        assert row.raw["actor"] == {
            "objectType": "Agent",
            "account": {"homePage": f"{HOME}/pseudonyms", "name": keyed},
        }
    assert [(r.place, r.name) for r in rows(unlinked, statement_agent)] == [
        ("context.instructor", keyed)
    ]
    # Neither the address, nor its SHA-1, nor a plain SHA-256 of an identifier, anywhere.
    plain = [hashlib.sha256(f"{kind}:{value}".encode()).hexdigest() for kind, value in
             (("email", STRANGER), ("sha1", SHA1))]  # fmt: skip
    engine = make_engine(unlinked)
    try:
        assert identifiers_found(engine, [STRANGER, SHA1, *plain]) == []
    finally:
        engine.dispose()


def test_they_are_in_the_export_and_gone_after_the_erasure(unlinked: str) -> None:
    data = exported(unlinked, STRANGER)
    assert data["found"] is True
    assert data["record_counts"] == {"activity_statement": 3}
    (activity,) = [c for c in data["categories"] if c["category"] == "activity"]
    by_rule: dict[str, list[str]] = {}
    for record in activity["records"]:
        verb = record["fields"]["raw"]["verb"]["id"].rsplit("/", 1)[1]
        by_rule.setdefault(record["retention"]["rule"], []).append(verb)
    # Hers live by their own rule; Léa's, where she is the instructor, by Léa's.
    assert sorted(by_rule["unlinked_statements"]) == ["attempted", "completed"]
    assert by_rule["learner_data"] == ["attempted"]
    # Someone else's export does not show them.
    assert exported(unlinked, "personne@example.org")["found"] is False

    erased = gardien(unlinked, "subject", "erase", "--email", STRANGER, "--yes", "--json")
    assert erased.returncode == 0, erased.stderr
    assert json.loads(erased.stdout)["erased"] == {
        "activity_statement": 2,
        "activity_statement (person replaced)": 1,
    }
    # Léa's statements stay; where Inès was the instructor, a placeholder names nobody.
    left = rows(unlinked, activity_statement)
    assert len(left) == 2 and all(row.learner_id is not None for row in left)
    (instructed,) = [row for row in left if "context" in row.raw]
    assert instructed.raw["context"]["instructor"]["account"]["name"] == "erased"
    assert rows(unlinked, statement_agent) == []
    engine = make_engine(unlinked)
    try:
        assert identifiers_found(engine, [STRANGER, SHA1, LOOKUP.of(f"sha1:{SHA1}")]) == []
    finally:
        engine.dispose()
    assert exported(unlinked, STRANGER)["found"] is False


def test_they_become_the_learners_own_when_she_appears(unlinked: str, tmp_path: Path) -> None:
    path = tmp_path / "arrivee.json"
    new = learner_doc(STRANGER, "Inès", "Future", "2025-01-10T10:00:00Z")
    path.write_text(json.dumps(document(learners=[new])), encoding="utf-8")
    done = gardien(unlinked, "import", str(path))
    assert done.returncode == 0, done.stderr
    assert "earlier statements linked: 2 (to 1 learners)" in done.stdout
    (ines,) = [row for row in rows(unlinked, learner) if row.email == STRANGER]
    mine = [row for row in rows(unlinked, activity_statement) if row.learner_id == ines.id]
    assert len(mine) == 2
    for row in mine:  # kept as stored: the keyed pseudonym, which names nobody in clear
        assert row.raw["actor"]["account"] == {
            "homePage": f"{HOME}/pseudonyms",
            "name": LOOKUP.of(f"sha1:{SHA1}"),
        }
    # Her activity moved her retention clock (the statements are timestamped 15 January).
    assert ines.last_activity_at.date().isoformat() == "2026-01-15"
    assert all(row.learner_id is not None for row in rows(unlinked, activity_statement))
    data = exported(unlinked, STRANGER)
    assert data["record_counts"]["activity_statement"] == 3  # hers, and Léa's naming her
    again = gardien(unlinked, "import", str(path))
    assert "earlier statements linked" not in again.stdout

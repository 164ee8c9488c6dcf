"""Learners, a learning path with module IRIs, and xAPI statements about them (fictional)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from gardien.services.xapi.clients import NewClient
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from tests.support.lrs import credentials, register_client
from tests.support.retention_samples import contract_doc, document, learner_doc, load
from tests.support.server import running_server

HOME = "https://www.example.org"
MODULES = {
    "M1": "https://learning.example.org/paths/fle-a2/modules/m1",
    "M2": "https://learning.example.org/paths/fle-a2/modules/m2",
}
VERBS = "http://adlnet.gov/expapi/verbs/"
PEOPLE = {
    "lea": ("lea.xapi@example.org", "Léa", "Traçabilité"),
    "noe": ("noe.xapi@example.org", "Noé", "Pseudonyme"),
}


def email(name: str) -> str:
    return PEOPLE[name][0]


def sha1sum(name: str) -> str:
    return hashlib.sha1(f"mailto:{email(name)}".encode()).hexdigest()


def load_learners(engine: Engine) -> None:
    doc = document(
        learners=[learner_doc(*values, "2025-01-10T10:00:00Z") for values in PEOPLE.values()],
        contracts=[
            contract_doc("C-X", "employer_plan", "2026-12-31", learners=[email(n) for n in PEOPLE])
        ],
        enrolments=[
            {
                "learner": email(name),
                "path": "FLE-A2",
                "contract": "C-X",
                "enrolled_at": "2025-01-02T09:00:00Z",
                "status": "enrolled",
                "progress": 0,
                "modules": [],
            }
            for name in PEOPLE
        ],
    )
    for module in doc["learning_paths"][0]["modules"]:
        module["activity_id"] = MODULES[module["code"]]
    load(engine, doc)


def add_client(engine: Engine, name: str = "Outil auteur de test") -> NewClient:
    """A registered xAPI client and its credentials."""
    return register_client(engine, name)


def basic(client: NewClient) -> dict[str, str]:
    return credentials(client)


def statement(
    name: str | None = "lea",
    *,
    verb: str = "attempted",
    activity: str = MODULES["M1"],
    actor: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A statement by ``name`` (mbox) on ``activity``; ``extra`` adds or replaces properties."""
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": actor or {"objectType": "Agent", "mbox": f"mailto:{email(name or 'lea')}"},
        "verb": {"id": f"{VERBS}{verb}", "display": {"fr-FR": verb}},
        "object": {"objectType": "Activity", "id": activity},
        "timestamp": "2026-01-15T10:00:00Z",
    }
    data.update(extra)
    return data


@contextmanager
def serving_samples(folder: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    """``gardien serve`` on a fresh SQLite database in ``folder`` holding the sample learners
    and one client: the server's base URL, the database URL, the client's headers."""
    url = f"sqlite:///{folder / 'lrs.sqlite3'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        load_learners(engine)
        client = add_client(engine)
    finally:
        engine.dispose()
    with running_server({"GARDIEN_DATABASE_URL": url, "GARDIEN_PUBLIC_URL": HOME}) as base:
        yield base, url, basic(client)

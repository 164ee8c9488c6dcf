"""« Mes données » in plain words, over real HTTP: a learner whose activity came through the
LRS reads labels, dates and sentences, never the database's names, raw JSON, IRIs or their
pseudonym; after objecting, the page shows the objection's state instead of the button."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import learner
from tests.support.lrs import VERBS, credentials, register_client
from tests.support.server import running_server
from tests.support.transmission_samples import load_contracts
from tests.support.web import WebClient, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
BOB = "bob.opco@example.org"
PATH = "https://learning.example.org/paths/fle-a2"
RAW_NAMES = (
    "statement_id",
    "enrolled_at",
    "score_scaled",
    "in_progress",
    "http://adlnet.gov",
    "object_id",
    "mbox_sha1sum",
    "identity_check",
    "{",
)


def statement(verb: str, iri: str, name: str, at: datetime, score: float | None = None) -> Any:
    """A statement as a platform sends it, with the activity's name in its definition."""
    sent: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": f"mailto:{BOB}"},
        "verb": {"id": f"{VERBS}{verb}", "display": {"en-US": verb}},
        "object": {
            "objectType": "Activity",
            "id": iri,
            "definition": {"name": {"fr-FR": name, "en-US": name}},
        },
        "timestamp": at.isoformat(),
    }
    if score is not None:
        sent["result"] = {"score": {"scaled": score}, "success": True}
    return sent


def visible_text(html: str) -> str:
    """The page's <main> as a reader sees it: no tags nor attributes, entities decoded,
    white space collapsed."""
    main = html[html.index("<main") : html.index("</main>")]
    inline = re.sub(r"</?(span|strong|a)\b[^>]*>", "", main)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def test_my_data_reads_in_words_and_shows_the_objection(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'words.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_contracts(engine)
    with engine.connect() as connection:
        found = connection.execute(
            select(learner.c.id, learner.c.pseudonym).where(learner.c.email == BOB)
        ).one()
    make_account(engine, email=BOB, role="learner", learner_id=found.id, created_at=NOW)
    platform = register_client(engine)
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW.isoformat()}
    try:
        with running_server(env, timeout=180) as base:
            answer = httpx.post(
                f"{base}/xapi/statements",
                json=[
                    statement(
                        "launched",
                        PATH,
                        "Parcours FLE A2",
                        datetime(2026, 5, 12, 8, 0, tzinfo=UTC),
                    ),
                    statement(
                        "passed",
                        f"{PATH}/modules/m2",
                        "Module 2",
                        datetime(2026, 5, 13, 9, 0, tzinfo=UTC),
                        0.84,
                    ),
                ],
                headers=credentials(platform),
                timeout=60.0,
                trust_env=False,
            )
            assert answer.status_code == 200, answer.text
            web = WebClient.open(base)
            try:
                web.sign_in(BOB)
                page = web.get("/my-data")
                assert page.status_code == 200
                text = visible_text(page.text)
                # Activity as sentences: verb, the activity's name, the score, the day.
                assert "Module 2 réussi, score 84 %, le 13/05/2026" in text
                assert "Parcours FLE A2 ouvert, le 12/05/2026" in text
                # Statuses and roles translated, dates as people write them.
                assert "Statut : en cours" in text
                assert "Rôle : apprenant" in text
                assert "Score : 80 %" in text
                assert "Inscrit le : 02/06/2023" in text
                for raw in (*RAW_NAMES, "learner", found.pseudonym, "raw :"):
                    assert raw not in text, raw
                # Tables stack on phones: every cell names its column.
                assert '<table class="data-table">' in page.text
                assert "<td>" not in page.text
                # Before objecting: the button, and what the objection would stop.
                assert "Je m'oppose" in text
                assert "Adresse électronique : conservation jusqu'au" in text
                assert "commercial_contact" in _kept_longer(web)

                english = visible_text(web.get("/en/my-data").text)
                assert "Module 2 passed, score 84%, on 13 May 2026" in english
                assert "Status: in progress" in english
                for raw in (*RAW_NAMES, found.pseudonym):
                    assert raw not in english, raw

                objected = web.post_form("/my-data/object", {}, form_page="/my-data")
                # Post/Redirect/Get: reloading the page does not send the form again.
                assert objected.status_code == 303
                assert objected.headers["location"] == "/my-data?done=objected"
                after = visible_text(web.get(objected.headers["location"]).text)
                assert "Votre opposition est enregistrée" in after
                assert "Opposition enregistrée le 01/06/2026" in after
                assert "Nous ne vous envoyons plus aucun courriel commercial." in after
                assert "Je m'oppose" not in after  # the button is gone
                # The address is no longer said to be kept for commercial contact.
                assert "Adresse électronique : conservation jusqu'au" not in after
                assert "identity_check" not in after and "stopped" not in after
                # Nor in the complete JSON export.
                assert "commercial_contact" not in _kept_longer(web)
            finally:
                web.close()
    finally:
        engine.dispose()


def _kept_longer(web: WebClient) -> list[str]:
    """The records the JSON export says will keep some of the learner's data after expiry."""
    exported = web.post_form("/my-data/export", {"format": "json"}, form_page="/my-data")
    assert exported.status_code == 200
    return [
        kept["record"]
        for category in exported.json()["categories"]
        for record in category["records"]
        for kept in (record.get("retention") or {}).get("kept_longer", [])
    ]

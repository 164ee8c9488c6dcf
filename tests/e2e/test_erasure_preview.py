"""Erasure says what it will keep before it acts, over real HTTP: the form lists each record
the law keeps, why and until when, above the confirmation; the result page says the same."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import learner, opco_dossier
from tests.support.lrs import Activity, post_activity, register_client
from tests.support.server import running_server
from tests.support.transmission_samples import load_contracts
from tests.support.web import PASSWORD, WebClient, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
BOB = "bob.opco@example.org"  # his OPCO dossier (training ended 30/06/2026) outlives erasure
KEPT = (
    "Dossier OPCO OPCO-AG-1 — conservation jusqu'au 30/06/2032",
    "Quoi : Nom du stagiaire, date de début de la formation",
    "Pourquoi : Justification auprès de l'OPCO de la réalisation des actions de formation"
    " financées (obligation légale, RGPD, art. 6(1)(c))",
)


def words(html: str) -> str:
    inline = re.sub(r"</?(span|strong|a|br)\b[^>]*>", " ", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def test_the_erasure_form_lists_what_the_law_keeps_before_confirming(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'erase.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_contracts(engine)
    with engine.connect() as connection:
        bob = connection.execute(select(learner.c.id).where(learner.c.email == BOB)).scalar_one()
    make_account(engine, email=BOB, role="learner", learner_id=bob, created_at=NOW)
    platform = register_client(engine)
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW.isoformat()}
    try:
        with running_server(env, timeout=180) as base:
            post_activity(
                base,
                platform,
                BOB,
                [Activity("passed", "https://learning.example.org/m1", NOW, 0.9)],
            )
            web = WebClient.open(base)
            try:
                web.sign_in(BOB)
                page = web.get("/my-data").text
                section = page[page.index('<section id="erase">') :]
                section = section[: section.index("</section>")]
                form_at = section.index("<form")
                before = words(section[:form_at])
                for line in KEPT:
                    assert line in before, line  # what, why, until when: above the form
                assert "trainee_name" not in section and "opco_dossier" not in words(section)
                assert 'name="confirm"' in section[form_at:]  # then the confirmation

                # Without the box ticked nothing happens, and the list is still there.
                refused = web.post_form(
                    "/my-data/erase", {"password": PASSWORD}, form_page="/my-data"
                )
                assert refused.status_code == 400
                assert all(line in words(refused.text) for line in KEPT)
                with engine.connect() as connection:
                    assert (
                        connection.execute(select(func.count()).select_from(learner)).scalar_one()
                        > 0
                    )

                erased = web.post_form(
                    "/my-data/erase",
                    {"password": PASSWORD, "confirm": "yes"},
                    form_page="/my-data",
                )
                assert erased.status_code == 200
                result = words(erased.text)
                assert "Vos données sont effacées" in result
                for line in KEPT:  # the result page says the same as the form did
                    assert line in result, line
                assert "trainee_name" not in result
            finally:
                web.close()
        with engine.connect() as connection:
            assert connection.execute(select(learner).where(learner.c.email == BOB)).first() is None
            dossier = connection.execute(select(opco_dossier.c.agreement_reference)).scalar_one()
            assert dossier == "OPCO-AG-1"  # the record the form announced, kept
    finally:
        engine.dispose()

"""A learner in a real browser (Debian's Chromium, JavaScript off): signs in, reads their data
with its retention dates, downloads it, asks for erasure and reads what was kept and why.

Their learning activity reaches gardien as in production: statements sent by an e-learning
platform to the LRS (tests/support/lrs.py)."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import (
    account,
    activity_statement,
    learner,
    opco_dossier,
    subject_request,
)
from tests.support.browser import chromium
from tests.support.lrs import Activity, post_activity, register_client
from tests.support.server import running_server
from tests.support.transmission_samples import load_contracts
from tests.support.web import PASSWORD, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
BOB = "bob.opco@example.org"  # an OPCO-funded learner: the OPCO's evidence outlives erasure
PATH_IRI = "https://learning.example.org/paths/fle-a2"
BOBS_ACTIVITY = (
    Activity("launched", PATH_IRI, datetime(2026, 5, 20, 9, 0, tzinfo=UTC)),
    Activity("passed", f"{PATH_IRI}/modules/m1", datetime(2026, 5, 20, 11, 0, tzinfo=UTC), 0.8),
    Activity("attempted", f"{PATH_IRI}/modules/m2", datetime(2026, 5, 28, 14, 0, tzinfo=UTC)),
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_a_learner_reads_downloads_and_erases_their_data(browser: Browser, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_contracts(engine)
    with engine.connect() as connection:
        bob = connection.execute(select(learner.c.id).where(learner.c.email == BOB)).scalar_one()
    make_account(engine, email=BOB, role="learner", learner_id=bob, created_at=NOW)
    platform = register_client(engine)
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW.isoformat()}
    try:
        with running_server(env) as base:
            sent = post_activity(base, platform, BOB, BOBS_ACTIVITY)
            context = browser.new_context(
                java_script_enabled=False, locale="fr-FR", accept_downloads=True
            )
            page: Page = context.new_page()

            # Sign in from the home page's link.
            page.goto(f"{base}/")
            page.get_by_role("link", name="Se connecter").click()
            page.get_by_label("Votre adresse électronique").fill(BOB)
            page.get_by_label("Mot de passe").fill(PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            # A click does not wait for the redirect it starts: wait for the page it leads to.
            page.wait_for_url(f"{base}/my-data")
            expect(page.get_by_role("heading", name="Mes données", level=1)).to_be_visible()

            # Every category with its purpose, legal basis and retention end date.
            identity = page.locator("#category-identity")
            assert identity.get_by_role("heading", name="Identité").is_visible()
            assert "base légale" in identity.inner_text()
            assert BOB in identity.inner_text()
            # 18 months after the last activity (1 June 2026): 1 December 2027.
            assert "01/12/2027" in identity.locator(".ends-on").first.inner_text()
            opco = page.locator("#category-opco_evidence")
            # The OPCO dossier's own 72 months after the training's end.
            assert re.search(r"\d\d/\d\d/20(3[0-9])", opco.locator(".ends-on").first.inner_text())
            # What the platform sent, kept with the learner: until 1 December 2027 too.
            activity = page.locator("#category-activity")
            # What the platform sent, as sentences: each on its day, the score in per cent.
            said = activity.inner_text()
            assert all(f"{done.at:%d/%m/%Y}" in said for done in BOBS_ACTIVITY)
            assert "80 %" in said
            assert "http" not in said
            assert "01/12/2027" in activity.locator(".ends-on").last.inner_text()

            # Download: JSON, then the zip of CSV files.
            with page.expect_download() as caught:
                page.get_by_role("button", name="Télécharger (JSON)").click()
            exported = json.loads(Path(caught.value.path()).read_text(encoding="utf-8"))
            assert exported["subject"] == {"email": BOB}
            assert {c["category"] for c in exported["categories"]} >= {"identity", "opco_evidence"}
            statements = [
                record
                for category in exported["categories"]
                for record in category["records"]
                if record["record"] == "activity_statement"
            ]
            assert [r["fields"]["statement_id"] for r in statements] == sent
            assert {r["context"]["client"] for r in statements} == {platform.name}
            with page.expect_download() as caught:
                page.get_by_role("button", name="Télécharger (zip de fichiers CSV)").click()
            with zipfile.ZipFile(caught.value.path()) as archive:
                names = set(archive.namelist())
                assert {"export.json", "README.txt", "01-identite.csv"} <= names
                assert BOB in archive.read("01-identite.csv").decode("utf-8-sig")

            # Erase: the password again and the box, then the page of what was kept.
            page.get_by_label("Votre mot de passe, pour confirmer").fill(PASSWORD)
            page.get_by_label("Je comprends que c'est irréversible.").check()
            page.get_by_role("button", name="Effacer mes données").click()
            expect(page.get_by_role("heading", name="Vos données sont effacées")).to_be_visible()
            kept = page.locator("ul.kept li")
            assert kept.count() == 1
            row = kept.first.inner_text()
            assert "Justification auprès de l'OPCO" in row  # why: the policy's own reason
            assert "obligation légale" in row
            assert re.search(r"\d\d/\d\d/20\d\d", row)  # until when
            assert "Nom du stagiaire" in row  # what: the fields the law needs, in words
            # Signed out: the portal asks to sign in again.
            page.goto(f"{base}/my-data")
            assert page.url == f"{base}/account/sign-in"
            context.close()
        with engine.connect() as connection:
            assert connection.execute(select(learner).where(learner.c.email == BOB)).first() is None
            assert connection.execute(select(func.count()).select_from(account)).scalar_one() == 0
            # The statements the platform sent went with the rest of the learner's data.
            assert (
                connection.execute(
                    select(func.count()).select_from(activity_statement)
                ).scalar_one()
                == 0
            )
            kinds = connection.execute(
                select(subject_request.c.kind, subject_request.c.status).order_by(
                    subject_request.c.id
                )
            ).all()
            # The downloads filed no request; the erasure did.
            assert [tuple(k) for k in kinds] == [("erasure", "completed")]
            dossier = connection.execute(select(opco_dossier.c.learner_id)).scalar_one()
            assert dossier is None  # kept, but no longer linked to anyone
    finally:
        engine.dispose()

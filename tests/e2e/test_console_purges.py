"""Purges from the DPO console, in Debian's Chromium with JavaScript off: the DPO sees the
nightly jobs late, previews a purge, starts it, follows it to its report; the data past
retention is gone, the audit log verifies (``gardien audit verify --record``, as cron runs
it), and the nightly jobs then show on time. Every page fits 390 and 1280 px, axe-clean.

The learners enter by the import and their activity as statements a platform POSTs to
``/xapi/statements`` (tests/support/lrs.py): two whose last activity is older than the
18 months of the learner rule, one active last month.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import Engine, select

from gardien.domain.totp import totp
from gardien.services import audit
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import activity_statement, audit_entry, learner
from gardien.store.uow import UnitOfWork
from tests.a11y import axe
from tests.a11y.tour import goto, submit
from tests.support.browser import HEIGHT, WIDTHS, chromium, horizontal_overflow, visible_text
from tests.support.lrs import Activity, post_activity, register_client
from tests.support.purges import started_run
from tests.support.retention_samples import document, learner_doc, load
from tests.support.server import running_server
from tests.support.web import PASSWORD, TOTP_SECRET, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
DPO = "delphine.dpo@example.org"
# Last active in April 2024: past the 18 months of the learner rule on 1 June 2026.
GONE = ("ancien.eleve@example.org", "ancienne.eleve@example.org")
KEPT = "recente.eleve@example.org"
MODULE = "https://learning.example.org/paths/fle-a2/modules/m1"


@dataclass
class Site:
    base: str
    url: str
    engine: Engine
    browser: Browser
    dpo_id: int
    axe: Path | None = None
    session: Any = None

    def context(self, width: int, *, script: bool = False) -> BrowserContext:
        """The DPO's browser at ``width``; JavaScript off unless a test measures the page."""
        context = self.browser.new_context(
            viewport={"width": width, "height": HEIGHT},
            locale="fr-FR",
            java_script_enabled=script,
            storage_state=self.session,
        )
        if script and self.axe is not None:
            context.add_init_script(path=self.axe)
        return context


def _learners(engine: Engine) -> None:
    load(
        engine,
        document(
            learners=[
                learner_doc(GONE[0], "Aurèle", "Ancien", "2024-01-10T09:00:00Z"),
                learner_doc(GONE[1], "Aude", "Ancienne", "2024-01-10T09:00:00Z"),
                learner_doc(KEPT, "Romane", "Récente", "2026-03-01T09:00:00Z"),
            ]
        ),
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, browser: Browser, axe_script: Path
) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('purges') / 'purges.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    _learners(engine)
    dpo_id = make_account(engine, email=DPO, role="dpo", created_at=NOW)
    platform = register_client(engine)
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW.isoformat()}
    try:
        with running_server(env, timeout=90.0) as base:
            for email in GONE:
                post_activity(
                    base,
                    platform,
                    email,
                    [Activity("attempted", MODULE, datetime(2024, 4, 15, tzinfo=UTC))],
                )
            post_activity(
                base,
                platform,
                KEPT,
                [Activity("passed", MODULE, datetime(2026, 5, 20, tzinfo=UTC), 0.8)],
            )
            served = Site(base, url, engine, browser, dpo_id, axe_script)
            served.session = _sign_in(served)
            yield served
    finally:
        engine.dispose()


def _sign_in(site: Site) -> Any:
    """The DPO signs in once (a second-factor code is good once), JavaScript off."""
    context = site.browser.new_context(locale="fr-FR", java_script_enabled=False)
    try:
        page = context.new_page()
        goto(page, f"{site.base}/account/sign-in")
        page.fill("#email", DPO)
        page.fill("#password", PASSWORD)
        submit(page, 'form[action$="/account/sign-in"]')
        page.fill("#code", totp(TOTP_SECRET, NOW))
        submit(page, 'form[action$="/account/second-factor"]')
        assert "/account/" not in page.url, page.url
        return context.storage_state()
    finally:
        context.close()


def _jobs(page: Page) -> dict[str, str]:
    """The nightly jobs on the page: ``{"sweep": "late", "audit": "ok"}``."""
    rows = page.locator("table.schedule tbody tr")
    return {
        str(rows.nth(i).get_attribute("data-job")): str(rows.nth(i).get_attribute("data-state"))
        for i in range(rows.count())
    }


def _cells(page: Page, table: str) -> dict[str, list[str]]:
    """Each row of ``table`` (a CSS selector) by its ``data-rule``: the text of its cells."""
    rows = page.locator(f"{table} tbody tr")
    return {
        str(rows.nth(i).get_attribute("data-rule")): [
            text.strip() for text in rows.nth(i).locator("td").all_inner_texts()
        ]
        for i in range(rows.count())
    }


def _entries(engine: Engine, action: str) -> list[Any]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(audit_entry).where(audit_entry.c.action == action).order_by(audit_entry.c.id)
            ).all()
        )


def _emails(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(select(learner.c.email)).scalars())


def _verify_record(site: Site) -> subprocess.CompletedProcess[str]:
    """``gardien audit verify --record``, as the server's nightly task runs it."""
    return subprocess.run(
        [sys.executable, "-m", "gardien", "audit", "verify", "--record"],
        env={**os.environ, "GARDIEN_DATABASE_URL": site.url, "GARDIEN_NOW": NOW.isoformat()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _problems(page: Page, width: int) -> list[str]:
    found = []
    wider = horizontal_overflow(page)
    if wider:
        found.append(f"overflow: the page is {wider} px wider than the {width} px window")
    # A table wider than the column it sits in overflows it even when the window is wide.
    overflowing = page.evaluate(
        "() => [...document.querySelectorAll('main table')]"
        ".filter((t) => t.getBoundingClientRect().right > "
        "document.querySelector('main').getBoundingClientRect().right + 1)"
        ".map((t) => t.className)"
    )
    found += [f"table {name!r} wider than the page's column" for name in overflowing]
    found += [violation.line() for violation in axe.blocking(page)]
    return found


def test_the_dpo_previews_then_purges_and_the_nightly_jobs_follow(site: Site) -> None:
    engine = site.engine
    with engine.connect() as connection:
        gone_ids = list(
            connection.execute(select(learner.c.id).where(learner.c.email.in_(GONE))).scalars()
        )
        statements_before = connection.execute(
            select(activity_statement.c.learner_id).where(
                activity_statement.c.learner_id.in_(gone_ids)
            )
        ).all()
    assert len(gone_ids) == 2 and len(statements_before) == 2  # the LRS stored their activity

    context = site.context(1280)
    try:
        page = context.new_page()
        # Before any run: both nightly jobs are late, and the dashboard says so.
        goto(page, f"{site.base}/console")
        assert _jobs(page) == {"sweep": "late", "audit": "late"}
        text = visible_text(page)
        assert "La purge nocturne n'a jamais tourné." in text
        assert "Lancez gardien audit verify" not in text
        assert page.locator("table.schedule + .card[role=alert]").count() == 1
        # The forecast's total counts the two overdue learners.
        forecast = _cells(page, "table.forecast")
        assert forecast["learner_data"][0] == "2" and forecast["learner_data"][-1] == "2"

        page.click("text=Purges : en voir le détail et en lancer une, tâches nocturnes")
        page.wait_for_url(f"{site.base}/console/purges")
        assert _jobs(page) == {"sweep": "late", "audit": "late"}
        page.click("text=Voir ce qu'une purge supprimerait")
        page.wait_for_url(f"{site.base}/console/purges/preview")
        preview = _cells(page, "table.preview")
        assert preview["learner_data"] == ["2"], preview
        assert all(cells[-1] == "0" for rule, cells in preview.items() if rule != "learner_data")
        assert "En tout : 2 enregistrements." in visible_text(page)
        assert not any(address in page.content() for address in (*GONE, KEPT))
        assert _emails(engine) == {*GONE, KEPT}  # a preview changes nothing

        # Without the box ticked, nothing starts: the error says what to do.
        with page.expect_navigation() as refused:
            page.click("button.danger")
        assert refused.value is not None and refused.value.status == 400
        assert "Cochez la case pour confirmer la purge." in visible_text(page)
        assert page.get_attribute("#confirm", "aria-describedby") == "confirm-error"
        assert _entries(engine, "sweep.started") == []

        page.check("#confirm")
        submit(page, 'form[action="/console/purges"]')
        run_url = page.url
        found = re.search(r"/console/purges/runs/(\d+)$", run_url)
        assert found, run_url
        run = int(found.group(1))
        # The page refreshes itself while the purge runs; without JavaScript, a person
        # would simply wait for it. Here: reload until it says finished.
        for _ in range(100):
            state = page.get_attribute("p.purge-state", "data-state")
            if state != "running":
                break
            page.wait_for_timeout(200)
            goto(page, run_url)
        assert page.get_attribute("p.purge-state", "data-state") == "done"
        assert page.locator('meta[http-equiv="refresh"]').count() == 0
        report = _cells(page, "table.run")
        assert report["learner_data"] == ["2", "2"], report
        text = visible_text(page)
        assert "Purge terminée" in text and re.search(r"Durée\s+\d+,\d s", text), text
        assert "En tout : 2 enregistrements supprimés ou anonymisés." in text
        assert f"dpo:{site.dpo_id}" in text

        # The data past retention is gone, with its statements; the active learner stays.
        assert _emails(engine) == {KEPT}
        with engine.connect() as connection:
            assert (
                connection.execute(
                    select(activity_statement.c.learner_id).where(
                        activity_statement.c.learner_id.in_(gone_ids)
                    )
                ).all()
                == []
            )

        # The audit log: the start, the batches under the DPO's name, the run's report.
        [started] = _entries(engine, "sweep.started")
        assert started.id == run and started.actor == f"dpo:{site.dpo_id}"
        assert started.details["expected"]["learner_data"] == 2
        batches = [e for e in _entries(engine, "sweep.batch") if e.details.get("run") == run]
        assert (
            sum(e.details["records"] for e in batches if e.details["rule"] == "learner_data") == 2
        )
        assert all(e.actor == f"dpo:{site.dpo_id}" for e in batches)
        [finished] = _entries(engine, "sweep.run")
        assert finished.details["run"] == run
        assert finished.details["rules"]["learner_data"]["records"] == 2
        assert "@" not in str([e.details for e in (started, *batches, finished)])
        assert audit.verify(UnitOfWork(engine)).ok

        # The purge ran: the sweep is on time; the audit check is late until cron runs it.
        goto(page, f"{site.base}/console/purges")
        assert _jobs(page) == {"sweep": "ok", "audit": "late"}
        verified = _verify_record(site)
        assert verified.returncode == 0, verified.stderr
        assert "audit chain intact" in verified.stdout
        goto(page, f"{site.base}/console")
        assert _jobs(page) == {"sweep": "ok", "audit": "ok"}
        text = visible_text(page)
        assert "n'a jamais tourné" not in text and "n'a pas tourné" not in text
        assert "En retard" not in page.inner_text("table.schedule")
        assert page.locator("table.schedule + .card[role=alert]").count() == 0
        assert "Le total les compte aussi." in text
        forecast = _cells(page, "table.forecast")
        assert forecast["learner_data"][0] == "0"  # nothing overdue any more

        # The English pages say the same in English.
        goto(page, f"{site.base}/en/console/purges/runs/{run}")
        assert "Purge finished" in visible_text(page)
        goto(page, f"{site.base}/en/console/purges")
        assert "Nightly jobs" in visible_text(page)
    finally:
        context.close()


# A tablet too: the forecast has a column per month, and stacks below the page's full width.
@pytest.mark.parametrize("width", [*WIDTHS, 900])
def test_the_console_and_purge_pages_fit_and_are_accessible(site: Site, width: int) -> None:
    with site.engine.connect() as connection:
        last = connection.execute(
            select(audit_entry.c.id)
            .where(audit_entry.c.action == "sweep.started")
            .order_by(audit_entry.c.id.desc())
        ).scalar()
    # The tests of a module run in file order: the purge above left its report.
    assert last is not None, "no purge to show: run the whole module"
    paths = [
        "/console",
        "/console/purges",
        "/console/purges/preview",
        f"/console/purges/runs/{last}",
        "/en/console/purges",
    ]
    context = site.context(width, script=True)
    found = []
    try:
        page = context.new_page()
        for path in paths:
            goto(page, site.base + path)
            found += [f"{path}: {problem}" for problem in _problems(page, width)]
    finally:
        context.close()
    assert not found, f"at {width} px:\n" + "\n".join(found)


def test_a_running_purge_reloads_itself_only_when_asked(site: Site) -> None:
    # Started and never finished: the server's clock is stopped, so it stays "running".
    run = started_run(site.engine, NOW, actor=f"dpo:{site.dpo_id}")
    url = f"{site.base}/console/purges/runs/{run}"
    context = site.context(390)  # JavaScript off: the reload is the page's own
    try:
        page = context.new_page()
        goto(page, url)
        assert page.get_attribute("p.purge-state", "data-state") == "running"
        # By default the page stays still: a link reloads it, another makes it reload itself.
        assert page.locator('meta[http-equiv="refresh"]').count() == 0
        assert "Recharger pour voir l'avancement" in visible_text(page)
        page.click("text=Recharger tout seul toutes les 5 secondes")
        page.wait_for_url(f"{url}?auto=on")
        assert page.get_attribute('meta[http-equiv="refresh"]', "content") == "5"
        with page.expect_navigation(timeout=15_000) as reloaded:
            pass  # nobody clicks: the page reloads itself
        assert reloaded.value is not None and reloaded.value.url == f"{url}?auto=on"
        page.click("text=Arrêter le rechargement")
        page.wait_for_url(url)
        assert page.locator('meta[http-equiv="refresh"]').count() == 0
        # A second purge is refused while this one runs: the form leads to it instead.
        goto(page, f"{site.base}/console/purges/preview")
        assert page.locator("form button.danger").count() == 0
        page.click("text=Suivre son avancement")
        page.wait_for_url(url)
    finally:
        context.close()
    measured = site.context(390, script=True)
    try:
        page = measured.new_page()
        goto(page, url)
        assert _problems(page, 390) == []
    finally:
        measured.close()

"""`make demo`, then the DPO's console and the administrator's pages: something on first sight.

The demo is loaded by the command `make demo` runs (``gardien demo-data``: records imported,
activity sent through the LRS, then the last three months played through the use cases), then
a DPO and an administrator read their pages in Chromium (JavaScript off), as of the demo's day:
requests in every state, the past purge and the late warning, answered and unanswered contact
messages; every page axe-clean and within the window at 1280 and 390 px.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from gardien.domain.totp import totp
from gardien.store.engine import make_engine
from gardien.store.tables import contact_message, subject_request
from tests.a11y import axe
from tests.a11y.tour import goto, submit
from tests.support.browser import HEIGHT, WIDTHS, chromium, horizontal_overflow
from tests.support.server import running_server
from tests.support.web import PASSWORD, TOTP_SECRET, make_account

pytestmark = pytest.mark.e2e

TODAY = date(2026, 6, 1)
NOW = datetime.combine(TODAY, time(9, 0), tzinfo=UTC)
DPO = "dominique.console@example.org"
ADMIN = "alex.admin@example.org"
# The pages each of them finds something on, at first sight.
DPO_PAGES = ("/console", "/console/history", "/console/purges", "/console/messages")
ADMIN_PAGES = ("/admin/accounts",)


@dataclass(frozen=True)
class Demo:
    base: str
    browser: Browser
    axe: Path
    rows: list[Any]
    messages: list[Any]
    sessions: dict[str, Any]


def _gardien(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "gardien", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _sign_in(browser: Browser, base: str, email: str) -> Any:
    """Sign in once (a second-factor code is good once) and keep the session's cookies."""
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    try:
        page = context.new_page()
        goto(page, f"{base}/account/sign-in")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        submit(page, 'form[action$="/account/sign-in"]')
        page.fill("#code", totp(TOTP_SECRET, NOW))
        submit(page, 'form[action$="/account/second-factor"]')
        assert "/account/" not in page.url, page.url
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, axe_script: Path) -> Iterator[Demo]:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_ENVIRONMENT": "development"}
    _gardien(env, "db", "upgrade")
    out = _gardien(env, "demo-data", "--learners", "60", "--seed", "1", "--as-of", str(TODAY))
    assert "past: requests" in out
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(
                    subject_request.c.reference,
                    subject_request.c.status,
                    subject_request.c.due_on,
                )
            ).all()
            messages = connection.execute(
                select(contact_message.c.id, contact_message.c.answered_at)
            ).all()
        make_account(engine, email=DPO, role="dpo", created_at=NOW)
        make_account(engine, email=ADMIN, role="admin", created_at=NOW)
    finally:
        engine.dispose()
    with chromium() as browser, running_server({**env, "GARDIEN_NOW": NOW.isoformat()}) as base:
        sessions = {email: _sign_in(browser, base, email) for email in (DPO, ADMIN)}
        yield Demo(base, browser, axe_script, rows, messages, sessions)


def _page(demo: Demo, email: str, path: str, width: int = 1280, *, axe_in: bool = False) -> Page:
    """``path`` as ``email`` reads it; with ``axe_in``, axe-core given to the browser (which
    then runs scripts; the pages themselves run none, their policy forbids it)."""
    context = demo.browser.new_context(
        locale="fr-FR",
        java_script_enabled=axe_in,
        storage_state=demo.sessions[email],
        viewport={"width": width, "height": HEIGHT},
    )
    if axe_in:
        context.add_init_script(path=demo.axe)
    page = context.new_page()
    goto(page, f"{demo.base}{path}")
    return page


def test_the_demo_holds_requests_in_every_state_and_answered_messages(demo: Demo) -> None:
    statuses = {row.status for row in demo.rows}
    assert {"open", "extended", "completed", "refused"} <= statuses
    assert any(row.status == "open" and row.due_on < TODAY for row in demo.rows), "overdue"
    answered = [m for m in demo.messages if m.answered_at is not None]
    assert answered and len(answered) < len(demo.messages), "answered and waiting messages"


def test_the_console_lists_open_overdue_and_extended_requests(demo: Demo) -> None:
    page = _page(demo, DPO, "/console")
    html = page.content()
    for row in demo.rows:
        if row.status in ("open", "extended"):
            assert f'data-reference="{row.reference}"' in html, row.reference
        if row.status == "open" and row.due_on < TODAY:
            assert f'<tr class="overdue" data-reference="{row.reference}"' in html
    page.context.close()


def test_the_history_lists_the_closed_requests(demo: Demo) -> None:
    page = _page(demo, DPO, "/console/history")
    html = page.content()
    closed = [row.reference for row in demo.rows if row.status in ("completed", "refused")]
    assert closed
    for reference in closed:
        assert f'data-reference="{reference}"' in html, reference
    page.context.close()


def test_the_purges_page_shows_the_past_run_and_that_the_sweep_is_late(demo: Demo) -> None:
    page = _page(demo, DPO, "/console/purges")
    rows = page.locator("table.schedule tbody tr")
    jobs = {
        rows.nth(i).get_attribute("data-job"): rows.nth(i).get_attribute("data-state")
        for i in range(rows.count())
    }
    # The purge ran a month ago, the audit check last night.
    assert jobs == {"sweep": "late", "audit": "ok"}, jobs
    ran = (TODAY - timedelta(days=30)).strftime("%d/%m/%Y")
    assert ran in page.locator("table.schedule").inner_text()
    page.context.close()


def test_the_messages_show_answered_and_waiting_ones(demo: Demo) -> None:
    page = _page(demo, DPO, "/console/messages")
    text = page.locator("main").inner_text()
    assert "Répondu le" in text and "Sans réponse" in text
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    ("email", "path"),
    [(DPO, path) for path in DPO_PAGES] + [(ADMIN, path) for path in ADMIN_PAGES],
)
def test_each_page_fits_and_is_accessible_with_the_demo_data(
    demo: Demo, email: str, path: str, width: int
) -> None:
    page = _page(demo, email, path, width, axe_in=True)
    problems = [violation.line() for violation in axe.blocking(page)]
    wider = horizontal_overflow(page)
    if wider:
        problems.append(f"the page is {wider} px wider than the {width} px window")
    page.context.close()
    assert problems == [], problems

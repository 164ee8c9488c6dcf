"""The DPO's history of closed requests and contact messages, in Debian's Chromium.

One server (its clock stopped at :data:`NOW`), one real SMTP server on loopback (aiosmtpd),
one DPO signed in once through the real forms (the second factor's code of :data:`NOW` is
good only once). The DPO's walks run with JavaScript off, as the pages need none; the checks
of each page at 1280 and 390 px (no sideways scrolling, no serious or critical axe-core
violation) run in a context where axe is injected outside the page's policy
(tests/a11y/axe.py).

- The history finds a closed request by its reference and by its person's whole address, and
  its filters keep only what they say.
- A visitor writes through the English contact form; the DPO answers from the console; the
  reply arrives over SMTP in English, and the message then shows as answered.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import Engine, select

from gardien.domain.totp import totp
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import contact_message
from tests.a11y import axe
from tests.support.browser import HEIGHT, WIDTHS, chromium, horizontal_overflow
from tests.support.server import free_port, running_server
from tests.support.smtp import SmtpServer, smtp_server
from tests.support.subject_samples import closed_request
from tests.support.web import PASSWORD, TOTP_SECRET, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
DPO = "dominique.dpo@example.org"
# Inès asked for her data and was answered; she asked again for an erasure, refused; Jules's
# access request was answered too. Only the history shows them: they are closed.
INES = "ines.histoire@example.org"
JULES = "jules.archive@example.org"
VISITOR = "noah.visiteur@example.com"


@dataclass
class Site:
    base: str
    engine: Engine
    browser: Browser
    smtp: SmtpServer
    env: dict[str, str]
    axe: Path | None
    references: dict[str, str]
    state: dict[str, Any] = field(default_factory=dict)

    def context(self, width: int = 1280, *, script: bool = False) -> BrowserContext:
        """A French browser signed in as the DPO; JavaScript only to run axe (``script``)."""
        context = self.browser.new_context(
            viewport={"width": width, "height": HEIGHT},
            locale="fr-FR",
            storage_state=self.state or None,
            java_script_enabled=script,
        )
        if script and self.axe is not None:
            context.add_init_script(path=self.axe)
        return context

    def send_outbox(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "gardien", "outbox", "send"],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr


def _closed(engine: Engine, email: str, kind: str, status: str, closed: datetime) -> str:
    return closed_request(engine, email, kind, status, closed, received_days_before=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, axe_script: Path) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('console-browser') / 'console.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    make_account(engine, email=DPO, role="dpo", created_at=NOW)
    references = {
        "ines-access": _closed(
            engine, INES, "access", "completed", datetime(2026, 3, 2, 9, tzinfo=UTC)
        ),
        "ines-erasure": _closed(
            engine, INES, "erasure", "refused", datetime(2026, 5, 12, 9, tzinfo=UTC)
        ),
        "jules-access": _closed(
            engine, JULES, "access", "completed", datetime(2026, 5, 20, 9, tzinfo=UTC)
        ),
    }
    port = free_port()
    with smtp_server() as smtp, chromium() as browser:
        env = {
            "GARDIEN_DATABASE_URL": url,
            "GARDIEN_NOW": NOW.isoformat(),
            "GARDIEN_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "GARDIEN_SMTP_HOST": "127.0.0.1",
            "GARDIEN_SMTP_PORT": str(smtp.port),
        }
        try:
            with running_server(env, port=port) as base:
                served = Site(base, engine, browser, smtp, env, axe_script, references)
                served.state = _sign_in(served)
                yield served
        finally:
            engine.dispose()


def _sign_in(site: Site) -> Any:
    context = site.context()
    try:
        page = context.new_page()
        page.goto(f"{site.base}/account/sign-in")
        page.fill("#email", DPO)
        page.fill("#password", PASSWORD)
        _press(page, "Se connecter")
        page.fill("#code", totp(TOTP_SECRET, NOW))
        _press(page, "Confirmer")
        assert "/console" in page.url or "/account" in page.url, page.url
        return context.storage_state()
    finally:
        context.close()


def _press(page: Page, name: str) -> None:
    """Press the button called ``name`` and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def _listed(page: Page) -> list[str]:
    """The references the history's table lists, in its order."""
    rows = page.locator("table.data-table tbody tr").all()
    return [row.get_attribute("data-reference") or "" for row in rows]


# -- the history -------------------------------------------------------------------------------


def test_the_history_finds_a_closed_request_by_reference_and_by_address(site: Site) -> None:
    refs = site.references
    context = site.context()
    try:
        page = context.new_page()
        page.goto(f"{site.base}/console")
        with page.expect_navigation():
            page.get_by_role("link", name="Demandes closes").click()
        assert page.url.endswith("/console/history")
        # Newest closed first; every closed request, none open.
        assert _listed(page) == [refs["jules-access"], refs["ines-erasure"], refs["ines-access"]]

        page.fill("#search", refs["ines-access"].lower())
        _press(page, "Rechercher")
        assert _listed(page) == [refs["ines-access"]]
        assert "1 demande close." in page.locator(".history-count").inner_text()
        # The search went in the form's body: the address bar shows no search.
        assert page.url.endswith("/console/history")

        page.fill("#search", "  Ines.Histoire@Example.org ")
        _press(page, "Rechercher")
        assert _listed(page) == [refs["ines-erasure"], refs["ines-access"]]
        assert page.url.endswith("/console/history")
        assert INES in page.locator("table.data-table").inner_text()

        # The search stays in the form; filters narrow it down.
        page.select_option("#status", "refused")
        _press(page, "Rechercher")
        assert _listed(page) == [refs["ines-erasure"]]
        page.fill("#search", "")
        page.select_option("#status", "")
        page.select_option("#kind", "access")
        page.fill("#closed_from", "2026-05-01")
        page.fill("#closed_to", "2026-05-31")
        _press(page, "Rechercher")
        assert _listed(page) == [refs["jules-access"]]

        # A fragment of an address is refused, said at the top and by the field.
        page.fill("#search", "histoire")
        _press(page, "Rechercher")
        summary = page.locator(".error-summary")
        assert "Saisissez une référence entière" in summary.inner_text()
        assert page.locator("#search").get_attribute("aria-invalid") == "true"
        assert _listed(page) == []
        # Days the wrong way round too: both problems at once, each by its field.
        page.fill("#closed_from", "2026-05-31")
        page.fill("#closed_to", "2026-05-01")
        _press(page, "Rechercher")
        assert page.locator(".error-summary li").count() == 2
        assert page.locator("#closed_to").get_attribute("aria-invalid") == "true"
        assert page.locator("#closed_to-error").is_visible()
    finally:
        context.close()


# -- the contact messages -----------------------------------------------------------------------


def _write_in_english(site: Site) -> None:
    context = site.browser.new_context(locale="en-GB", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{site.base}/en/contact")
        page.fill("#name", "Noah Visitor")
        page.fill("#email", VISITOR)
        page.fill("#message", "Do you run evening classes?")
        _press(page, "Send")
        assert "Message sent" in page.content()
    finally:
        context.close()


def _message_id(site: Site) -> int:
    with site.engine.connect() as connection:
        return int(
            connection.execute(
                select(contact_message.c.id).where(contact_message.c.email == VISITOR)
            ).scalar_one()
        )


def test_a_message_answered_from_the_console_arrives_and_shows_as_answered(site: Site) -> None:
    _write_in_english(site)
    message_id = _message_id(site)
    row = f'tr[data-message="{message_id}"]'
    context = site.context()
    try:
        page = context.new_page()
        page.goto(f"{site.base}/console/messages?show=unanswered")
        assert "Sans réponse" in page.locator(row).inner_text()
        with page.expect_navigation():
            page.locator(row).get_by_role("link").click()
        assert page.url.endswith(f"/console/messages/{message_id}")
        assert "en anglais" in page.locator("main").inner_text()

        # An empty reply sends nothing and says so.
        _press(page, "Envoyer la réponse")
        assert "Écrivez la réponse" in page.locator(".error-summary").inner_text()

        page.fill("#reply", "Yes: on Tuesday evenings.\n\nBest regards.")
        _press(page, "Envoyer la réponse")
        assert page.url.endswith(f"/console/messages/{message_id}")
        assert "Yes: on Tuesday evenings." in page.locator("main").inner_text()
        assert page.get_by_role("button", name="Envoyer la réponse").count() == 0

        site.send_outbox()
        [mail] = [m for m in site.smtp.messages if VISITOR in str(m["To"])]
        assert mail["Subject"] == "Your message to SEJER: our answer"
        body = mail.get_body(("plain",)).get_content()
        assert body.startswith("Hello Noah Visitor,")
        assert "Yes: on Tuesday evenings." in body
        assert "Do you run evening classes?" in body

        page.goto(f"{site.base}/console/messages?show=answered")
        assert "Répondu le 01/06/2026 12:00" in page.locator(row).inner_text()
        page.goto(f"{site.base}/console/messages?show=unanswered")
        assert page.locator(row).count() == 0
    finally:
        context.close()


# -- every page at both widths ------------------------------------------------------------------


def _history_results(site: Site, page: Page) -> None:
    page.goto(f"{site.base}/console/history")
    page.fill("#search", INES)
    _press(page, "Rechercher")


def _history_error(site: Site, page: Page) -> None:
    page.goto(f"{site.base}/console/history")
    page.fill("#search", "histoire")
    page.fill("#closed_from", "2026-05-31")
    page.fill("#closed_to", "2026-05-01")
    _press(page, "Rechercher")


def _one_message(site: Site, page: Page) -> None:
    page.goto(f"{site.base}/console/messages/{_message_id(site)}")


PAGES = {
    "history": lambda site, page: page.goto(f"{site.base}/console/history"),
    "history-results": _history_results,
    "history-error": _history_error,
    "messages": lambda site, page: page.goto(f"{site.base}/console/messages"),
    "message": _one_message,
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_and_is_accessible(site: Site, name: str, width: int) -> None:
    with site.engine.connect() as connection:
        written = connection.execute(
            select(contact_message.c.id).where(contact_message.c.email == VISITOR)
        ).first()
    if written is None:
        _write_in_english(site)
    context = site.context(width, script=True)
    try:
        page = context.new_page()
        PAGES[name](site, page)
        found = [f"overflow: {px} px" for px in [horizontal_overflow(page)] if px]
        found += [violation.line() for violation in axe.blocking(page)]
    finally:
        context.close()
    assert not found, f"{name} at {width} px:\n" + "\n".join(found)

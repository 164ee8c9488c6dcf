"""A person in a real browser (Debian's Chromium driven by Playwright): subscribe, confirm from
the e-mail, unsubscribe from the newsletter's link. No JavaScript is needed by the pages; the
browser runs with JavaScript off to prove it.

Chromium: see tests/support/browser.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import newsletter_subscription
from tests.support.browser import chromium
from tests.support.mailbox import send_outbox
from tests.support.server import free_port, running_server
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def status(url: str, email: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            found: str | None = connection.execute(
                select(newsletter_subscription.c.status).where(
                    newsletter_subscription.c.email == email
                )
            ).scalar_one_or_none()
            return found
    finally:
        engine.dispose()


def link_in(smtp: object, kind: str, recipient: str) -> str:
    messages = [m for m in smtp.messages if recipient in str(m["To"])]  # type: ignore[attr-defined]
    body = messages[-1].get_body(("plain",)).get_content()
    found = re.findall(rf"http://127\.0\.0\.1:\d+/(?:en/)?newsletter/{kind}/\S+", body)
    assert found, body
    return str(found[-1])


def test_a_person_subscribes_confirms_and_unsubscribes_in_a_browser(
    browser: Browser, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    port = free_port()
    email = "camille.lecteur@example.org"
    with smtp_server() as smtp:
        env = {
            "GARDIEN_DATABASE_URL": url,
            "GARDIEN_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "GARDIEN_SMTP_PORT": str(smtp.port),
            "GARDIEN_SECRET_KEY": "browser-test-secret",
        }
        with running_server(env, port=port) as base:
            context = browser.new_context(java_script_enabled=False, locale="fr-FR")
            page: Page = context.new_page()

            # Subscribe: the consent box is not ticked beforehand; the notice is linked.
            page.goto(f"{base}/newsletter")
            consent = page.get_by_role("checkbox")
            assert not consent.is_checked()
            assert page.get_by_role("link", name="politique de confidentialité").count() >= 1
            page.get_by_label("Votre adresse électronique").fill(email)
            consent.check()
            page.get_by_role("button", name="M'inscrire").click()
            expect(
                page.get_by_role("heading", name="Consultez votre boîte de réception")
            ).to_be_visible()
            assert status(url, email) == "pending"

            # Confirm from the e-mail: the link shows a button, the button confirms.
            send_outbox(env)
            page.goto(link_in(smtp, "confirm", email))
            assert status(url, email) == "pending"
            page.get_by_role("button", name="Confirmer mon inscription").click()
            expect(page.get_by_role("heading", name="Inscription confirmée")).to_be_visible()
            assert status(url, email) == "confirmed"

            # A campaign arrives; its unsubscribe link, then the button, unsubscribe.
            campaign = tmp_path / "lettre.md"
            campaign.write_text("Subject: Lettre de test\n\nBonjour !\n", encoding="utf-8")
            done = subprocess.run(
                [sys.executable, "-m", "gardien", "newsletter", "send", str(campaign)],
                env={**os.environ, **env},
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr
            page.goto(link_in(smtp, "unsubscribe", email))
            page.get_by_role("button", name="Me désinscrire").click()
            expect(page.get_by_role("heading", name="Vous êtes désinscrit")).to_be_visible()
            assert status(url, email) is None  # the policy keeps nothing after unsubscribing
            page.screenshot(path=str(tmp_path / "unsubscribed.png"))
            context.close()

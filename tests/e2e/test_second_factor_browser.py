"""The second factor of staff in Debian's Chromium, JavaScript off, against a real server and
a real SMTP server (aiosmtpd) on loopback.

- A new DPO sets it up: a wrong code first keeps the same key (with the error under the
  field), a reload too, and the code of that first key confirms it; ten recovery codes are
  shown once. Signed out, they sign in with a recovery code, which is refused the second time.
  They make new codes.
- An administrator resets a DPO's second factor from the accounts page: the DPO's sessions
  end, the audit log says who did it, and the DPO receives the e-mail and sets up again.
- The set-up page (QR code included) fits 1280 px and 390 px and axe-core finds no serious or
  critical WCAG 2.2 AA violation.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from gardien.domain.totp import totp
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import account, audit_entry, web_session
from tests.a11y import axe
from tests.support.browser import HEIGHT, WIDTHS, chromium, horizontal_overflow
from tests.support.server import free_port, running_server
from tests.support.smtp import SmtpServer, smtp_server
from tests.support.web import PASSWORD, TOTP_SECRET, WebClient, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
SECRET_KEY = "second-factor-browser-secret"
NEW_DPO = "dpo.nouvelle@example.org"
LOST_DPO = "dpo.telephone.perdu@example.org"
LOOKED_AT = "dpo.regardee@example.org"
ADMIN = "admin.secours@example.org"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


class Site:
    """The server, its database and its SMTP server."""

    def __init__(self, base: str, url: str, env: dict[str, str], smtp: SmtpServer) -> None:
        self.base, self.url, self.env, self.smtp = base, url, env, smtp

    def query(self, statement: Any) -> list[Any]:
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(statement).all())
        finally:
            engine.dispose()

    def account_id(self, email: str) -> int:
        [row] = self.query(select(account.c.id).where(account.c.email == email))
        return int(row.id)

    def send_outbox(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "gardien", "outbox", "send"],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('second-factor') / 'site.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    for email in (NEW_DPO, LOOKED_AT):
        make_account(
            engine,
            email=email,
            role="dpo",
            created_at=NOW,
            second_factor=False,
            secret_key=SECRET_KEY,
        )
    make_account(engine, email=LOST_DPO, role="dpo", created_at=NOW, secret_key=SECRET_KEY)
    make_account(engine, email=ADMIN, role="admin", created_at=NOW, secret_key=SECRET_KEY)
    engine.dispose()
    port = free_port()
    with smtp_server() as smtp:
        env = {
            "GARDIEN_DATABASE_URL": url,
            "GARDIEN_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "GARDIEN_SMTP_HOST": "127.0.0.1",
            "GARDIEN_SMTP_PORT": str(smtp.port),
            "GARDIEN_SECRET_KEY": SECRET_KEY,
            # A fixed clock: the test computes the codes the server expects.
            "GARDIEN_NOW": NOW.isoformat(),
        }
        with running_server(env, port=port) as base:
            yield Site(base, url, env, smtp)


def _context(browser: Browser, width: int = 1280) -> BrowserContext:
    return browser.new_context(
        java_script_enabled=False, locale="fr-FR", viewport={"width": width, "height": HEIGHT}
    )


def _press(page: Page, button: str) -> int:
    """Press the button named ``button`` and wait for the next page; its HTTP status."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=button).click()
    answer = navigation.value
    assert answer is not None
    return answer.status


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/account/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    assert _press(page, "Se connecter") == 200
    assert page.url.endswith("/account/second-factor")


def _key(page: Page) -> str:
    return page.locator("#totp-secret").inner_text().replace(" ", "")


def test_a_dpo_sets_up_the_second_factor_and_signs_in_with_a_recovery_code(
    site: Site, browser: Browser
) -> None:
    context = _context(browser)
    page = context.new_page()
    _sign_in(page, site.base, NEW_DPO)
    expect(page.get_by_role("heading", name="Configurez votre second facteur")).to_be_visible()
    shown = page.locator("#totp-secret").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", shown), shown
    first = _key(page)
    qr = page.get_by_role(
        "img", name="Code QR de la clé, pour votre application d'authentification"
    )
    expect(qr).to_be_visible()
    assert page.locator("svg[role=img] title").count() == 1
    link = page.get_by_role("link", name="Ouvrir dans une application d'authentification")
    assert (link.get_attribute("href") or "").startswith("otpauth://totp/")
    assert f"secret={first}" in (link.get_attribute("href") or "")

    # A wrong code: the error is tied to the field, and the key is the same.
    right = totp(first, NOW)
    page.fill("#code", "111111" if right == "000000" else "000000")
    assert _press(page, "Confirmer") == 401
    field = page.locator("#code")
    assert field.get_attribute("aria-invalid") == "true"
    assert "code-error" in (field.get_attribute("aria-describedby") or "").split()
    expect(page.locator("#code-error")).to_contain_text("Code incorrect")
    expect(page.locator(".error-summary a[href='#code']")).to_contain_text("Code incorrect")
    assert _key(page) == first

    # A reload: still the same key.
    page.goto(f"{site.base}/account/second-factor")
    assert _key(page) == first

    # The code of the first key confirms it; the recovery codes are shown once.
    page.fill("#code", totp(first, NOW))
    assert _press(page, "Confirmer") == 200
    expect(page.get_by_role("heading", name="Votre second facteur est configuré")).to_be_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[0-9a-z]{5}-[0-9a-z]{5}", code) for code in codes)
    page.get_by_role("link", name="J'ai conservé mes codes, continuer").click()
    page.wait_for_url(f"{site.base}/console")
    # No page shows them again.
    page.goto(f"{site.base}/account/recovery-codes")
    assert not any(code in page.content() for code in codes)
    expect(page.get_by_text("Il vous reste 10 codes de secours inutilisés.")).to_be_visible()
    assert _press(page, "Se déconnecter") == 200

    # Signed out; back in with a recovery code instead of the app.
    _sign_in(page, site.base, NEW_DPO)
    page.get_by_role("link", name="Téléphone perdu ? Utilisez un code de secours").click()
    page.wait_for_url(f"{site.base}/account/second-factor/recovery")
    page.fill("#recovery", codes[0])
    assert _press(page, "Confirmer") == 200
    assert page.url == f"{site.base}/console"
    assert _press(page, "Se déconnecter") == 200

    # The same code a second time: refused, the error under the field.
    _sign_in(page, site.base, NEW_DPO)
    page.goto(f"{site.base}/account/second-factor/recovery")
    page.fill("#recovery", codes[0])
    assert _press(page, "Confirmer") == 401
    expect(page.locator("#recovery-error")).to_contain_text("a déjà servi")
    assert page.locator("#recovery").get_attribute("aria-invalid") == "true"
    page.goto(f"{site.base}/console")
    assert page.url.endswith("/account/second-factor")  # still not in

    # Another code works; then new codes make the old ones useless.
    page.goto(f"{site.base}/account/second-factor/recovery")
    page.fill("#recovery", codes[1].upper())
    assert _press(page, "Confirmer") == 200
    page.goto(f"{site.base}/account/recovery-codes")
    expect(page.get_by_text("Il vous reste 8 codes de secours inutilisés.")).to_be_visible()
    assert _press(page, "Créer de nouveaux codes de secours") == 200
    renewed = page.locator(".recovery-codes code").all_inner_texts()
    assert len(renewed) == 10 and not set(renewed) & set(codes)
    # (That the old ones then fail is tests/integration/test_second_factor.py's: five tries at
    # the second factor in 15 minutes are all an account gets, and this one made four.)
    context.close()

    # The audit log says a code was used, never which.
    rows = site.query(
        select(audit_entry.c.action, audit_entry.c.details).where(
            audit_entry.c.action.like("account.%")
        )
    )
    actions = [row.action for row in rows]
    assert actions.count("account.recovery_code_used") == 2
    assert "account.second_factor_set" in actions and "account.recovery_codes_renewed" in actions
    text = repr(rows)
    assert not any(code in text or code.replace("-", "") in text for code in codes + renewed)


def test_an_administrator_resets_a_dpos_second_factor(site: Site, browser: Browser) -> None:
    dpo = WebClient.open(site.base)
    dpo.sign_in(LOST_DPO, at=NOW)
    assert dpo.get("/console").status_code == 200
    dpo_id = site.account_id(LOST_DPO)

    # On a phone: the accounts table becomes one card per account, nothing wider than the screen.
    context = _context(browser, 390)
    page = context.new_page()
    _sign_in(page, site.base, ADMIN)
    page.fill("#code", totp(TOTP_SECRET, NOW))
    assert _press(page, "Confirmer") == 200
    assert page.url == f"{site.base}/admin/accounts"
    assert horizontal_overflow(page) == 0
    assert _press(page, f"Réinitialiser le second facteur ({LOST_DPO})") == 200
    expect(page.get_by_role("heading", name="Le second facteur est réinitialisé")).to_be_visible()
    context.close()

    # The DPO's session is over, on the server too.
    assert dpo.get("/console").headers["location"] == "/account/sign-in"
    dpo.close()
    assert site.query(select(web_session.c.id).where(web_session.c.account_id == dpo_id)) == []
    [row] = site.query(
        select(account.c.totp_secret, account.c.recovery_codes).where(account.c.id == dpo_id)
    )
    assert tuple(row) == (None, None)
    [entry] = site.query(
        select(audit_entry.c.actor, audit_entry.c.details).where(
            audit_entry.c.action == "account.second_factor_reset"
        )
    )
    assert entry.actor == f"admin:{site.account_id(ADMIN)}"
    assert entry.details == {"account": dpo_id, "sessions_ended": 1}

    # The e-mail, through the outbox and the SMTP server.
    site.send_outbox()
    deadline = time.monotonic() + 10
    while not [m for m in site.smtp.messages if LOST_DPO in str(m["To"])]:
        assert time.monotonic() < deadline, "the reset e-mail did not arrive"
        time.sleep(0.1)
    [mail] = [m for m in site.smtp.messages if LOST_DPO in str(m["To"])]
    assert "second facteur" in str(mail["Subject"]) and "réinitialisé" in str(mail["Subject"])
    body = mail.get_body(("plain",)).get_content()
    assert "vous configurerez à nouveau votre second facteur" in body
    assert f"{site.env['GARDIEN_PUBLIC_URL']}/account/sign-in" in body

    # At the next sign-in, the DPO sets up a new second factor.
    again = _context(browser)
    page = again.new_page()
    _sign_in(page, site.base, LOST_DPO)
    expect(page.get_by_role("heading", name="Configurez votre second facteur")).to_be_visible()
    assert _key(page) != TOTP_SECRET
    again.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_set_up_page_fits_and_is_accessible(
    site: Site, browser: Browser, axe_script: Path, width: int
) -> None:
    # JavaScript on for axe only: the page itself allows none (script-src 'none').
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": HEIGHT})
    context.add_init_script(path=axe_script)
    page = context.new_page()
    _sign_in(page, site.base, LOOKED_AT)
    found = [violation.line() for violation in axe.blocking(page)]
    wider = horizontal_overflow(page)
    # With the error shown too: the summary, the field's message.
    page.fill("#code", "12")
    assert _press(page, "Confirmer") == 401
    found += [violation.line() for violation in axe.blocking(page)]
    wider = max(wider, horizontal_overflow(page))
    context.close()
    assert not found, "\n".join(found)
    assert wider == 0, f"the page is {wider} px wider than the {width} px window"

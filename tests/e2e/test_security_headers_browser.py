"""The pages under their Content-Security-Policy in a real browser (Debian's Chromium): no
violation on the home page, the notice, the sign-in form, « Mes données » and the DPO console,
and every page still styled, by the site's own stylesheet, at 1280 px and at 390 px.

The browser runs JavaScript here only so the test can listen for ``securitypolicyviolation``
events and read computed styles; the pages themselves run none (the CSP allows none).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route
from sqlalchemy import select

from gardien.domain.totp import totp
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import learner
from tests.support.browser import chromium
from tests.support.server import running_server
from tests.support.transmission_samples import load_contracts
from tests.support.web import PASSWORD, TOTP_SECRET, form_post, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
LEARNER = "bob.opco@example.org"
DPO = "dpo.navigateur@example.org"
WIDTHS = (1280, 390)
# Records every CSP violation the page reports, from before its first byte is parsed.
LISTEN = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__violations.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""


@dataclass
class Watch:
    """What the browser said while the pages were open."""

    violations: list[str] = field(default_factory=list)
    # Console errors: (text, address of what caused it).
    errors: list[tuple[str, str]] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.add_init_script(LISTEN)
        context.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append((message.text, message.location.get("url", "")))

    def read(self, page: Page) -> None:
        self.violations += page.evaluate("window.__violations")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('csp') / 'csp.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_contracts(engine)
    with engine.connect() as connection:
        bob = connection.execute(
            select(learner.c.id).where(learner.c.email == LEARNER)
        ).scalar_one()
    make_account(engine, email=LEARNER, role="learner", learner_id=bob, created_at=NOW)
    make_account(engine, email=DPO, role="dpo", created_at=NOW)
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW.isoformat()}
    with running_server(env) as served:
        # A message in the console, with the line breaks its author typed.
        form_post(
            f"{served}/contact",
            {
                "name": "Zoé Fictive",
                "email": "zoe.fictive@example.org",
                "message": "Bonjour,\nune question sur mes données.\nMerci",
            },
        )
        yield served
    engine.dispose()


def _styled(page: Page, width: int, shots: Path, name: str) -> dict[str, Any]:
    """The page's computed styles that only the stylesheet gives, and whether it fits."""
    page.set_viewport_size({"width": width, "height": 900})
    page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
    found: dict[str, Any] = page.evaluate(
        """() => ({
          maxWidth: getComputedStyle(document.querySelector("main")).maxWidth,
          font: getComputedStyle(document.body).fontFamily,
          fits: document.documentElement.scrollWidth <= window.innerWidth,
        })"""
    )
    return found


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/account/sign-in")
    page.get_by_label("Votre adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_pages_load_under_the_csp_without_a_violation_and_keep_their_style(
    browser: Browser, base: str, tmp_path: Path
) -> None:
    watch = Watch()
    pages: dict[str, dict[str, Any]] = {}

    visitor = browser.new_context(locale="fr-FR")
    watch.attach(visitor)
    page = visitor.new_page()
    for name, path in (
        ("home", "/"),
        ("notice", "/confidentialite"),
        ("sign-in", "/account/sign-in"),
    ):
        page.goto(f"{base}{path}")
        watch.read(page)
        for width in WIDTHS:
            pages[f"{name}-{width}"] = _styled(page, width, tmp_path, name)
    _sign_in(page, base, LEARNER)
    page.wait_for_url(f"{base}/my-data")
    watch.read(page)
    for width in WIDTHS:
        pages[f"my-data-{width}"] = _styled(page, width, tmp_path, "my-data")
    visitor.close()

    dpo = browser.new_context(locale="fr-FR")
    watch.attach(dpo)
    page = dpo.new_page()
    _sign_in(page, base, DPO)
    page.get_by_label("Code").fill(totp(TOTP_SECRET, NOW))
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_url(f"{base}/console")
    watch.read(page)
    for width in WIDTHS:
        pages[f"console-{width}"] = _styled(page, width, tmp_path, "console")
    # The purge forecast, a column per month, is one card per rule on a phone and a table on
    # a laptop (classes of the stylesheet, not style="").
    rule = page.locator("table.forecast tbody tr").first
    for width, display in ((390, "grid"), (1280, "table-row")):
        page.set_viewport_size({"width": width, "height": 900})
        assert rule.evaluate("e => getComputedStyle(e).display") == display
    page.goto(f"{base}/console/messages")
    watch.read(page)
    cell = page.locator("td.message-text").first
    assert cell.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    assert "une question sur mes données." in cell.inner_text().splitlines()
    for width in WIDTHS:
        pages[f"messages-{width}"] = _styled(page, width, tmp_path, "messages")
    dpo.close()

    assert watch.violations == []
    # Not one console error; but the site has no favicon, which Chromium asks for anyway.
    assert [e for e in watch.errors if not e[1].endswith("/favicon.ico")] == []
    for name, found in pages.items():
        # 62rem for main and system-ui for body: the stylesheet's rules, on every page.
        assert found["maxWidth"] == "992px", name
        assert found["font"].startswith("system-ui"), name
        assert found["fits"], f"{name} scrolls sideways"


def test_the_watch_sees_an_inline_style_the_csp_blocks(browser: Browser, base: str) -> None:
    """The check above could fail: the home page as the server sends it, headers and all,
    with an inline style added, is reported twice (a <style> block and a style attribute)."""
    watch = Watch()
    context = browser.new_context()
    watch.attach(context)
    page = context.new_page()

    def tampered(route: Route) -> None:
        real = route.fetch(url=f"{base}/")
        html = real.text().replace("</head>", "<style>body{color:red}</style></head>")
        route.fulfill(
            status=200,
            headers=real.headers,
            body=html.replace("<main ", '<main style="color:red" '),
        )

    page.route(f"{base}/tampered", tampered)
    page.goto(f"{base}/tampered")
    watch.read(page)
    context.close()
    assert sorted(watch.violations) == ["style-src-attr inline", "style-src-elem inline"]
    assert len([text for text, _ in watch.errors if "Content Security Policy" in text]) == 2

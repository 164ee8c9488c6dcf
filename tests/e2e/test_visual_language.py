"""One visual language and the rights in reach (issue 17, points 1 and 5), over real HTTP and in
Debian's Chromium at 1280 and 390 px.

- Every page's frame: the organisation's name (never "gardien") in the header and the title, a
  skip link to ``main``, and links to « Mes données », the request form and the notice in the
  navigation and the footer.
- The home page reads as the organisation's privacy page: who, what, how long (no « 0 mois »),
  the rights with their links, the DPO's address.
- An unknown address, or a method an address does not take, is a page of the site in the
  address's language, with the security headers; the machines' addresses keep JSON.
- No page is wider than a 390 px screen; tap targets of the navigation are 44 px tall; the
  focus is visible.

``GARDIEN_SHOTS_DIR``, when set, receives a screenshot of each page at each width.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

import html5lib
import httpx
import pytest
from playwright.sync_api import Browser

from gardien.bootstrap import bootstrap
from gardien.policy import load_policy
from gardien.settings import Settings
from gardien.store.catalogue import record_catalogue
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.web.app import create_app
from tests.support.browser import chromium
from tests.support.server import running_server

pytestmark = pytest.mark.e2e

NS = "{http://www.w3.org/1999/xhtml}"
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
CSP = "default-src 'none'; script-src 'none'; style-src 'self'"
POLICY = load_policy(None, catalogue=record_catalogue())
NAME = POLICY.controller.name
FR_RIGHTS = {"/my-data", "/requests", "/confidentialite"}
EN_RIGHTS = {"/en/my-data", "/en/requests", "/privacy"}
# The pages a visitor reaches without an account, and the address that is no page.
PAGES = [
    "/",
    "/en",
    "/confidentialite",
    "/privacy",
    "/contact",
    "/en/contact",
    "/newsletter",
    "/requests",
    "/en/requests",
    "/account/sign-in",
    "/no-such-page",
    "/en/no-such-page",
]
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('visual') / 'served.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with running_server({"GARDIEN_DATABASE_URL": url}, timeout=120) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def parse(page: httpx.Response) -> Element:
    """The page's tree; html5lib in strict mode raises on any parse error of the HTML."""
    tree: Element = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True).parse(page.text)
    return tree


def text_of(tree: Element) -> str:
    return " ".join(" ".join(tree.itertext()).split())


def links_in(tree: Element, tag: str) -> set[str | None]:
    part = tree.find(f".//{NS}{tag}")
    assert part is not None, tag
    return {a.get("href") for a in part.iter(f"{NS}a")}


def title_of(tree: Element) -> str:
    title = tree.find(f".//{NS}title")
    assert title is not None and title.text
    return title.text


# -- the frame of every page -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/en", "/confidentialite", "/contact", "/en/requests"])
def test_every_page_names_the_organisation_and_links_to_the_rights(base: str, path: str) -> None:
    page = httpx.get(f"{base}{path}", headers=HTML)
    assert page.status_code == 200
    tree = parse(page)
    english = path == "/en" or path.startswith("/en/")
    assert tree.get("lang") == ("en" if english else "fr")
    title = title_of(tree)
    assert NAME in title and "gardien" not in title.lower()
    header = tree.find(f".//{NS}header")
    assert header is not None and NAME in text_of(header)
    rights = EN_RIGHTS if english else FR_RIGHTS
    # The navigation holds « Mes données » and the request form; the footer, the notice too.
    assert rights - {"/privacy", "/confidentialite"} <= links_in(tree, "nav")
    assert rights | {"/confidentialite", "/privacy"} <= links_in(tree, "footer")
    skip = tree.find(f".//{NS}a[@class='skip-link']")
    assert skip is not None and skip.get("href") == "#main"
    main = tree.find(f".//{NS}main")
    assert main is not None and main.get("id") == "main"


# -- the home page -----------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "lang"), [("/", "fr"), ("/en", "en")])
def test_the_home_page_reads_as_the_privacy_page(base: str, path: str, lang: str) -> None:
    page = httpx.get(f"{base}{path}", headers=HTML)
    tree = parse(page)
    main = tree.find(f".//{NS}main")
    assert main is not None
    text = text_of(main)
    assert NAME in text and POLICY.controller.address in text
    assert str(POLICY.controller.dpo.email) in text
    # No period of "0 months": a rule that keeps nothing past its moment says so in words.
    assert not re.search(r"\b0 (mois|months?)\b", text), text
    zero = [rule for rule in POLICY.retention.values() if rule.months == 0]
    assert zero, "the default policy has rules of 0 months: the test would prove nothing"
    for rule in zero:
        assert rule.label.in_(lang) in text
    assert ("sans délai" if lang == "fr" else "without delay") in text
    # The rights, in the page itself: « Mes données », the request form, the notice.
    rights = FR_RIGHTS if lang == "fr" else EN_RIGHTS
    assert rights <= {a.get("href") for a in main.iter(f"{NS}a")}
    assert f"mailto:{POLICY.controller.dpo.email}" in {a.get("href") for a in main.iter(f"{NS}a")}
    assert "gardien" not in text.lower()


def test_the_home_page_is_still_kept_for_visitors(base: str) -> None:
    first = httpx.get(f"{base}/")
    second = httpx.get(f"{base}/")
    assert first.headers["cache-control"] == "public, max-age=300"
    assert first.text == second.text
    assert "csrf" not in first.text


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "lang", "home", "words"),
    [
        ("/no-such-page", "fr", "/", "Page introuvable"),
        ("/en/no-such-page", "en", "/en", "Not found"),
        ("/requests/status/", "fr", "/", "Page introuvable"),
    ],
)
def test_an_unknown_address_is_a_page_of_the_site(
    base: str, path: str, lang: str, home: str, words: str
) -> None:
    answer = httpx.get(f"{base}{path}", headers=HTML)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"].startswith(CSP)
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"
    tree = parse(answer)
    assert tree.get("lang") == lang
    main = tree.find(f".//{NS}main")
    assert main is not None
    assert words in text_of(main) and "404" in text_of(main)
    assert home in {a.get("href") for a in main.iter(f"{NS}a")}
    assert '"detail"' not in answer.text


def test_curl_gets_the_page_too_and_a_json_client_gets_json(base: str) -> None:
    assert httpx.get(f"{base}/no-such-page").headers["content-type"].startswith("text/html")
    asked = httpx.get(f"{base}/no-such-page", headers={"Accept": "application/json"})
    assert asked.status_code == 404 and asked.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("path", ["/api/no-such-thing", "/xapi/no-such-thing"])
def test_the_machines_addresses_keep_json(base: str, path: str) -> None:
    answer = httpx.get(f"{base}{path}", headers=HTML)
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not Found"}
    assert answer.headers["content-security-policy"].startswith(CSP)


def test_a_method_an_address_does_not_take_is_a_page_that_keeps_allow(base: str) -> None:
    answer = httpx.request("DELETE", f"{base}/en/contact", headers=HTML)
    assert answer.status_code == 405
    assert answer.headers["content-type"].startswith("text/html")
    # Starlette names the methods of the first route of that address (GET): kept as it was.
    assert "GET" in answer.headers["allow"]
    tree = parse(answer)
    assert tree.get("lang") == "en"
    assert "This address does not take this action" in text_of(tree)


def test_an_unexpected_error_is_a_page_with_the_headers() -> None:
    app = create_app(bootstrap(Settings(), database_url="sqlite://"))

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/en/broken", broken)
    app.add_api_route("/api/broken", broken)

    async def ask(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="https://gardien.example.org"
        ) as client:
            return await client.get(path, headers=HTML)

    page = asyncio.run(ask("/en/broken"))
    assert page.status_code == 500
    assert page.headers["content-security-policy"].startswith(CSP)
    tree = parse(page)
    assert tree.get("lang") == "en"
    assert "Something went wrong on our side" in text_of(tree)
    assert "RuntimeError" not in page.text and "a bug" not in page.text
    machine = asyncio.run(ask("/api/broken"))
    assert machine.status_code == 500 and machine.text == "Internal Server Error"
    assert machine.headers["content-security-policy"].startswith(CSP)


# -- in a browser: any screen, tap targets, focus ----------------------------------------------


def _shot_name(path: str, width: int) -> str:
    slug = path.strip("/").replace("/", "-") or "home"
    return f"{slug}-{width}.png"


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_screen(base: str, browser: Browser, width: int) -> None:
    shots = os.environ.get("GARDIEN_SHOTS_DIR")
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        overflowing = {}
        for path in PAGES:
            answer = page.goto(f"{base}{path}")
            assert answer is not None
            assert answer.status == (404 if "no-such" in path else 200), path
            widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if widths[0] > widths[1]:
                overflowing[path] = widths
            # The stylesheet is applied (a page without it would pass the width test).
            assert (
                page.evaluate(
                    "getComputedStyle(document.querySelector('.site-header')).borderBottomWidth"
                )
                == "4px"
            )
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(Path(shots) / _shot_name(path, width)), full_page=True)
        assert overflowing == {}
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_tap_targets_are_44_px_and_the_focus_is_visible(
    base: str, browser: Browser, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{base}/contact")
        heights = page.evaluate(
            "[...document.querySelectorAll('nav a, nav button, main button, main .button')]"
            ".map(e => e.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 44, heights
        # The first Tab reaches the skip link, which comes into view with an outline.
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " const r = e.getBoundingClientRect();"
            " return [e.className, s.outlineStyle, s.outlineWidth, r.top, r.bottom]; })()"
        )
        assert focused[0] == "skip-link"
        assert focused[1] == "solid" and focused[2] == "3px"
        assert focused[3] >= 0 and focused[4] > focused[3]
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"
    finally:
        context.close()

"""Every page of issue 17 in Debian's Chromium at 1280 px and 390 px: no sideways scrolling,
no serious or critical WCAG 2.2 AA violation that axe-core (run in the page) finds, and, on a
learner's own pages, no raw field name, status, JSON or IRI.

One server and one browser for the module; each test is one page at one width
(``home-390``), reached as a person reaches it (tests/a11y/tour.py), and reports every check
that fails, not only the first. JavaScript runs only for the test's own measures and axe: the
pages allow none (``script-src 'none'``), and axe comes outside their policy (tests/a11y/axe.py).
axe-core is installed from its lock file with ``npm ci``; without npm the module skips, except
under ``CI=true`` where it fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.a11y import axe
from tests.a11y.tour import RAW, STOPS, Site, Stop, served_site
from tests.support.browser import WIDTHS, chromium, horizontal_overflow, visible_text

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, browser: Browser, axe_script: Path
) -> Iterator[Site]:
    with served_site(tmp_path_factory.mktemp("pages"), browser) as served:
        served.axe = axe_script
        yield served


def problems(page: Page, width: int, *, personal: bool) -> list[str]:
    """What is wrong with the ``page`` open at ``width``, one line each; empty when all is well."""
    found = []
    wider = horizontal_overflow(page)
    if wider:
        found.append(f"overflow: the page is {wider} px wider than the {width} px window")
    found += [violation.line() for violation in axe.blocking(page)]
    if personal:
        text = visible_text(page)
        found += [f"raw: {raw!r} shown to the learner" for raw in RAW if raw in text]
    return found


@pytest.mark.parametrize(
    ("stop", "width"),
    [pytest.param(stop, width, id=f"{stop.name}-{width}") for stop in STOPS for width in WIDTHS],
)
def test_page_fits_and_is_accessible(site: Site, stop: Stop, width: int) -> None:
    context = site.context(width, who=stop.who(width))
    try:
        page = context.new_page()
        stop.visit(site, page, width)
        found = problems(page, width, personal=stop.personal)
    finally:
        context.close()
    assert not found, f"{stop.name} at {width} px:\n" + "\n".join(found)


# A page that breaks each check, served with the site's own headers (its CSP among them).
BROKEN = (
    "<!doctype html><html><head><title>Cassée</title></head><body><main><h1>Cassée</h1>"
    '<img src="/nothing.png"><p>'
    + "x" * 400
    + '</p><p>{"statement_id": 7}</p></main></body></html>'
)


def test_the_checks_see_a_broken_page(site: Site) -> None:
    """The harness itself: overflow, axe under the site's CSP, and raw data are all caught."""
    context = site.context(390)
    try:
        page = context.new_page()
        page.route("**/contact", lambda route: route.fulfill(response=route.fetch(), body=BROKEN))
        answered = page.goto(f"{site.base}/contact")
        assert answered is not None
        assert "script-src 'none'" in answered.headers["content-security-policy"]
        found = problems(page, 390, personal=True)
    finally:
        context.close()
    kinds = {line.split(" (")[0].split(":")[0] for line in found}
    assert {"overflow", "axe image-alt", "axe html-has-lang", "raw"} <= kinds, found
    assert "raw: 'statement_id' shown to the learner" in found

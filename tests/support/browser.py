"""Debian's Chromium driven by Playwright, for the browser tests.

Chromium comes from Debian (``/usr/bin/chromium``, installed by ``.ci/run``); Playwright only
drives it and never downloads a browser. Without it the tests fail under CI and are skipped,
with the reason, on a laptop that lacks it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

# The widths every page is looked at: a laptop and a phone (an iPhone 12 to 15 is 390 px wide).
WIDTHS = (1280, 390)
HEIGHT = 900

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As the machine's notes advise for a closed network: no background traffic, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium for one test module."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}: .ci/run must install it")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the document is wider than the window (0: no sideways scrolling)."""
    wider: int = page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )
    return wider


def visible_text(page: Page) -> str:
    """The text a person sees on the page (hidden elements left out), as the browser lays it."""
    text: str = page.evaluate("() => document.body.innerText")
    return text

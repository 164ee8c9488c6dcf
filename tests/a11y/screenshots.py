"""Screenshots of every page of issue 17 at 1280 px and 390 px, as the browser test sees them.

    .venv/bin/python -m tests.a11y.screenshots OUTDIR            # or: make screenshots OUT=...
    .venv/bin/python -m tests.a11y.screenshots OUTDIR home my-data   # some pages only

Writes ``OUTDIR/PAGE-WIDTH.png`` (the whole page, not only the window) for each stop of
``tests/a11y/tour.py``, on a fresh database in a temporary folder, with Debian's Chromium.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.a11y.tour import STOPS, served_site
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, WIDTHS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.a11y.screenshots")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("pages", nargs="*", help="some of: " + " ".join(s.name for s in STOPS))
    args = parser.parse_args(argv)
    unknown = set(args.pages) - {stop.name for stop in STOPS}
    if unknown:
        parser.error(f"no such page: {', '.join(sorted(unknown))}")
    args.outdir.mkdir(parents=True, exist_ok=True)
    chosen = [stop for stop in STOPS if not args.pages or stop.name in args.pages]
    with (
        tempfile.TemporaryDirectory(prefix="gardien-shots-") as workdir,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            with served_site(Path(workdir), browser) as site:
                for stop in chosen:
                    for width in WIDTHS:
                        context = site.context(width, who=stop.who(width))
                        try:
                            page = context.new_page()
                            stop.visit(site, page, width)
                            path = args.outdir / f"{stop.name}-{width}.png"
                            page.screenshot(path=path, full_page=True)
                        finally:
                            context.close()
                        sys.stdout.write(f"{path}\n")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

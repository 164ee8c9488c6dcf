"""axe-core, installed with ``npm ci`` from the lock file beside this module, run in a page.

The pages run no script (their Content-Security-Policy says ``script-src 'none'``), so axe
cannot come as a ``<script>`` of the page. It is given to the browser context as an init
script instead (``BrowserContext.add_init_script``): Chromium evaluates those through its
DevTools protocol, outside the page's policy, so the page is tested under its real
Content-Security-Policy, unchanged (no ``bypass_csp``): axe is the tester, not the page.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page

HERE = Path(__file__).parent
# WCAG 2.2 level AA and all it includes, as axe-core tags its rules.
WCAG_22_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
# What a page must not have; axe's "moderate" and "minor" are reported by the screenshots only.
BLOCKING = ("serious", "critical")
NPM_TIMEOUT = 300.0


class AxeError(RuntimeError):
    """axe-core could not be installed."""


@dataclass(frozen=True)
class Violation:
    """One axe rule a page breaks: its id, impact, help text and the elements (CSS selectors)."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def line(self) -> str:
        shown = ", ".join(self.targets[:3]) + (", …" if len(self.targets) > 3 else "")
        return (
            f"axe {self.rule} ({self.impact}, {len(self.targets)} elements: {shown}): {self.help}"
        )


def install(into: Path) -> Path:
    """``npm ci`` of the lock file in ``into``; the path of ``axe.min.js``."""
    into.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HERE / name, into / name)
    try:
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline"],
            cwd=into,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=NPM_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as failed:
        raise AxeError(f"npm ci could not run: {failed}") from failed
    script = into / "node_modules" / "axe-core" / "axe.min.js"
    if done.returncode != 0 or not script.is_file():
        raise AxeError(
            f"npm ci failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return script


_RUN = """
async (tags) => {
  const result = await axe.run(document, {
    runOnly: { type: 'tag', values: tags },
    resultTypes: ['violations'],
  });
  return result.violations.map((v) => ({
    rule: v.id,
    impact: v.impact || '',
    help: v.help,
    targets: v.nodes.map((node) => node.target.join(' ')),
  }));
}
"""


def violations(page: Page) -> list[Violation]:
    """Every WCAG 2.2 AA rule the page breaks, as axe (already in the page) finds them."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        raise AxeError("axe is not in the page: add_init_script(path=axe.min.js) on its context")
    found = page.evaluate(_RUN, list(WCAG_22_AA))
    return [Violation(v["rule"], v["impact"], v["help"], tuple(v["targets"])) for v in found]


def blocking(page: Page) -> list[Violation]:
    """The serious and critical ones."""
    return [v for v in violations(page) if v.impact in BLOCKING]

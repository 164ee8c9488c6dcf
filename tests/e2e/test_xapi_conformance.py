"""ADL's xAPI conformance suite, 1.0.3 and 2.0, against ``gardien serve`` with default settings.

Each version runs against a fresh database and a fresh client (tests/xapi_conformance/harness.py).
The test fails when a case fails that ``tests/xapi_conformance/expected_failures_VERSION.txt``
does not list, and when a listed case does not fail: the lists only shrink. See docs/xapi.md,
"Conformance". Without Node.js the test skips, except under ``CI=true`` where it fails.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.xapi_conformance import harness


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite, copied to a temporary folder and installed from its lock file."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        message = f"{' and '.join(missing)} not found: the xAPI conformance suite needs Node.js"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI must run it)")
        pytest.skip(message)
    try:
        return harness.install(tmp_path_factory.mktemp("xapi-conformance"))
    except harness.SuiteError as error:
        pytest.fail(str(error))


@pytest.mark.xapi_conformance
@pytest.mark.parametrize("version", harness.VERSIONS)
def test_conformance_suite(
    version: str, suite: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        outcome = harness.run(suite, version, tmp_path)
    except harness.SuiteError as error:
        pytest.fail(str(error))
    with capsys.disabled():
        sys.stdout.write(f"\n{outcome.summary()}\n")
    expected = harness.read_expected(harness.expected_path(version))
    differences = harness.compare(outcome, expected)
    assert not differences, harness.report(outcome, differences)

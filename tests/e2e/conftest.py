"""What the browser tests share: axe-core, installed once per run from its lock file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.a11y import axe


@pytest.fixture(scope="session")
def axe_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The path of ``axe.min.js`` (``npm ci`` of tests/a11y/package-lock.json); CI must have npm."""
    if shutil.which("npm") is None:
        message = "npm not found: axe-core is installed from the npm registry"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI must run it)")
        pytest.skip(message)
    try:
        return axe.install(tmp_path_factory.mktemp("axe"))
    except axe.AxeError as error:
        pytest.fail(str(error))

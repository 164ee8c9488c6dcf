"""Under CI=true a PostgreSQL test fails when PostgreSQL is missing; on a laptop it skips."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ONE_POSTGRES_TEST = "tests/integration/test_store_constraints.py"


def _run_without_postgres(ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"GARDIEN_TEST_POSTGRES_URL", "CI"}}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "postgres",
            ONE_POSTGRES_TEST,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_postgres_tests_fail_under_ci_when_postgres_is_missing() -> None:
    result = _run_without_postgres("true")
    assert result.returncode == 1, result.stdout
    assert "CI must run the PostgreSQL tests" in result.stdout
    assert " passed" not in result.stdout


@pytest.mark.parametrize("ci", [None, "false"])
def test_postgres_tests_skip_on_a_laptop_without_postgres(ci: str | None) -> None:
    result = _run_without_postgres(ci)
    assert result.returncode == 0, result.stdout
    assert "skipped" in result.stdout
    assert "failed" not in result.stdout

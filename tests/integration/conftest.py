"""Fixtures shared by the sweep scenarios: which side of a retention end a sweep runs on, and
the sweep itself, through the service or the command line (``gardien sweep --as-of DATE --json``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import Engine

from gardien.cli.main import main
from tests.support.retention_samples import BOUNDARY, run_sweep

Sweeper = Callable[[date], dict[str, int]]


@pytest.fixture(params=BOUNDARY)
def when(request: pytest.FixtureRequest) -> str:
    """Which side of the retention end the sweep runs on."""
    return str(request.param)


@pytest.fixture(params=["service", "cli"])
def sweeper(
    request: pytest.FixtureRequest,
    engine: Engine,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> Sweeper:
    """Sweep as of a day, through the service or the command line; expired count per rule."""

    def through_service(day: date) -> dict[str, int]:
        return {r.rule: r.expired for r in run_sweep(engine, day).rules}

    def through_cli(day: date) -> dict[str, int]:
        capsys.readouterr()
        argv = ["--database-url", database_url, "sweep", "--as-of", day.isoformat(), "--json"]
        assert main(argv) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["as_of"] == day.isoformat()
        assert report["dry_run"] is False
        return {r["rule"]: r["expired"] for r in report["rules"]}

    return through_service if request.param == "service" else through_cli

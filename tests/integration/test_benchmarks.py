"""Every benchmark runs at its smoke size and prints its figures, so that none rots unnoticed.

The benchmarks are found by glob (every ``bench/*.py`` not starting with ``_``): a new one is
covered without touching this file, as long as it keeps the conventions of ``bench/_common.py``:
a ``--smoke`` flag, and one ``figure:`` line per comparison with its baseline. Each runs as a
subprocess, with this tree's ``src`` first on the path and warnings as errors, as the suite runs.
Their PostgreSQL parts run when ``GARDIEN_TEST_POSTGRES_URL`` is set (passed on as
``GARDIEN_BENCH_POSTGRES_URL``; empty otherwise, which tells them to skip PostgreSQL). Nothing
here looks at a time (CONVENTIONS 9).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = sorted(path for path in (ROOT / "bench").glob("*.py") if not path.name.startswith("_"))
POSTGRES_ENV = "GARDIEN_TEST_POSTGRES_URL"
NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?(?:e[-+][0-9]+)?"
FIGURE = re.compile(
    rf"^figure: (?P<what>.+) (?P<value>{NUMBER}) (?P<unit>\S+);"
    rf" baseline \((?P<baseline>.+)\) (?P<base>{NUMBER}) \S+; ratio (?P<ratio>\S+)$",
    re.MULTILINE,
)


def _postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV, "")
    if not url and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{POSTGRES_ENV} is not set: CI must run the benchmarks' PostgreSQL parts")
    return url


def _run_smoke(script: Path, workdir: Path, postgres: str) -> subprocess.CompletedProcess[str]:
    path = [str(ROOT / "src"), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(path),
        "PYTHONWARNINGS": "error",
        "GARDIEN_BENCH_POSTGRES_URL": postgres,
        # Their temporary files (SQLite databases, documents, logs) go where pytest cleans up.
        "TMPDIR": str(workdir),
    }
    return subprocess.run(
        [sys.executable, str(script), "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _value(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_benchmarks_are_found() -> None:
    names = {path.stem for path in BENCHMARKS}
    assert {"import", "ingest", "sweep", "validate_xapi"} <= names


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda path: path.stem)
def test_a_benchmark_runs_at_smoke_size_and_prints_its_figures(
    script: Path, tmp_path: Path
) -> None:
    postgres = _postgres_url()
    done = _run_smoke(script, tmp_path, postgres)
    output = f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}"
    assert done.returncode == 0, f"{script.name} --smoke exited {done.returncode}\n{output}"
    figures = [match.groupdict() for match in FIGURE.finditer(done.stdout)]
    assert figures, f"{script.name} printed no 'figure:' line (bench/_common.py figure)\n{output}"
    for found in figures:
        for key in ("value", "base"):
            number = _value(found[key])
            assert math.isfinite(number) and number > 0, f"{found}\n{output}"
    if postgres:
        assert "PostgreSQL: skipped" not in done.stdout, output
    if "PostgreSQL" in done.stdout and "PostgreSQL: skipped" not in done.stdout:
        assert any("PostgreSQL" in found["what"] for found in figures), output

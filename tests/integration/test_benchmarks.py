"""Every benchmark runs at its smoke size and prints its figures, so that none rots unnoticed.

The benchmarks are found by glob (every ``bench/*.py`` not starting with ``_``): a new one is
covered without touching this file, as long as it keeps the conventions of ``bench/_common.py``:
a ``--smoke`` flag, and one ``figure:`` line per comparison with its baseline. Each runs as a
subprocess, with this tree's ``src`` first on the path and warnings as errors, as the suite runs;
the selected ones start together, as most of their time is spent starting Python processes and
servers, not computing.
Their PostgreSQL parts run when ``GARDIEN_TEST_POSTGRES_URL`` is set (passed on as
``GARDIEN_BENCH_POSTGRES_URL``; empty otherwise, which tells them to skip PostgreSQL). A
benchmark of PostgreSQL alone (``POSTGRES_ONLY``: bench/scale.py) then prints
``PostgreSQL: skipped`` and no figure; CI always sets the URL. Nothing here looks at a time
(CONVENTIONS 9).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = sorted(path for path in (ROOT / "bench").glob("*.py") if not path.name.startswith("_"))
POSTGRES_ENV = "GARDIEN_TEST_POSTGRES_URL"
POSTGRES_ONLY = {"scale"}
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


@dataclass
class Run:
    """A benchmark started at smoke size; ``finish`` waits for it and reads what it printed."""

    script: Path
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def finish(self) -> tuple[int, str, str]:
        try:
            code = self.process.wait(timeout=300)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"{self.script.name} --smoke ran for more than 300 s")
        return code, self.stdout.read_text(), self.stderr.read_text()


def _start(script: Path, workdir: Path, postgres: str) -> Run:
    path = [str(ROOT / "src"), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(path),
        "PYTHONWARNINGS": "error",
        "GARDIEN_BENCH_POSTGRES_URL": postgres,
        # Their temporary files (SQLite databases, documents, logs) go where pytest cleans up.
        "TMPDIR": str(workdir),
    }
    stdout, stderr = workdir / "stdout.txt", workdir / "stderr.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, str(script), "--smoke"], cwd=ROOT, env=env, stdout=out, stderr=err
        )
    return Run(script, process, stdout, stderr)


def _selected(request: pytest.FixtureRequest) -> list[Path]:
    """The benchmarks whose test this session runs (``-k`` may have left some out)."""
    scripts: set[Path] = set()
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if isinstance(item, pytest.Function) and item.module is request.module and callspec:
            script = callspec.params.get("script")
            if isinstance(script, Path):
                scripts.add(script)
    return sorted(scripts)


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[Path, Run]]:
    """The benchmarks this session selected, all started at once."""
    postgres = _postgres_url()
    started = {
        script: _start(script, tmp_path_factory.mktemp(script.stem), postgres)
        for script in _selected(request)
    }
    yield started
    for run in started.values():
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait()


def _value(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_benchmarks_are_found() -> None:
    names = {path.stem for path in BENCHMARKS}
    assert {"import", "ingest", "sweep", "validate_xapi", "scale"} <= names


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda path: path.stem)
def test_a_benchmark_runs_at_smoke_size_and_prints_its_figures(
    script: Path, runs: dict[Path, Run]
) -> None:
    postgres = _postgres_url()
    code, stdout, stderr = runs[script].finish()
    output = f"stdout:\n{stdout[-4000:]}\nstderr:\n{stderr[-4000:]}"
    assert code == 0, f"{script.name} --smoke exited {code}\n{output}"
    if not postgres and script.stem in POSTGRES_ONLY:
        assert "PostgreSQL: skipped" in stdout, output
        return
    figures = [match.groupdict() for match in FIGURE.finditer(stdout)]
    assert figures, f"{script.name} printed no 'figure:' line (bench/_common.py figure)\n{output}"
    for found in figures:
        for key in ("value", "base"):
            number = _value(found[key])
            assert math.isfinite(number) and number > 0, f"{found}\n{output}"
    if postgres:
        assert "PostgreSQL: skipped" not in stdout, output
    if "PostgreSQL" in stdout and "PostgreSQL: skipped" not in stdout:
        assert any("PostgreSQL" in found["what"] for found in figures), output

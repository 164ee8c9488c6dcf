"""ADL's xAPI conformance suite against a real ``gardien serve``, and the cases allowed to fail.

The suite (``../shared/xapi-conformance-suite``, read-only) is copied to a temporary folder and
installed there with ``npm ci`` from the lock file beside this module. For each xAPI version, a
fresh SQLite database is migrated, a fresh client registered with ``gardien xapi client add``, and
``gardien serve`` started with its default settings on a free loopback port; the suite's console
runner then runs every case of that version against ``/xapi``.

What passed is read from the run log the runner writes (a tree of suites and tests, each with
its status). The run log names only the cases that ran: a failed setup step (a ``before`` hook)
skips every case after it, so the list of all cases comes from loading the suite's test files
without running them (``list_cases.js``). Every case that did not pass, ran or not, is a failure.
A failed hook is one more failure, named after its suite.

``expected_failures_VERSION.txt`` lists the cases allowed to fail, one a line: ``CASE # REASON``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.server import free_port

VERSIONS = ("1.0.3", "2.0.0")
HERE = Path(__file__).parent
ROOT = HERE.parents[1]
SRC = ROOT / "src"
# ADL's suite beside the checkout (../shared, as on every machine of the project), or where
# GARDIEN_XAPI_CONFORMANCE_SUITE says for a checkout laid out otherwise.
SUITE = Path(
    os.environ.get("GARDIEN_XAPI_CONFORMANCE_SUITE")
    or ROOT.parent / "shared" / "xapi-conformance-suite"
)
LOCK = HERE / "package-lock.json"
LISTER = HERE / "list_cases.js"
DEFAULT_REASON = "not yet conformant: issue 16 in progress"
SEPARATOR = " > "
HOOK = "(a before/after hook)"
REASON_MARK = " # "
RUN_TIMEOUT = 1800.0  # seconds for one version: a hung LRS must not hang the test run


class SuiteError(RuntimeError):
    """The suite could not be installed or run, or its run log cannot be read."""


def expected_path(version: str) -> Path:
    """The file listing the cases of ``version`` allowed to fail."""
    return HERE / f"expected_failures_{version}.txt"


def _writable(folder: Path) -> None:
    # The shared copy is read-only, and copytree keeps the modes.
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | (0o700 if path.is_dir() else 0o600))


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def install(into: Path) -> Path:
    """Copy the suite into ``into``/suite, add the lock file, ``npm ci``; the copy's folder."""
    if not SUITE.is_dir():
        raise SuiteError(
            f"the conformance suite is not at {SUITE}: set GARDIEN_XAPI_CONFORMANCE_SUITE"
        )
    suite = into / "suite"
    shutil.copytree(SUITE, suite)
    _writable(suite)
    shutil.copyfile(LOCK, suite / "package-lock.json")
    shutil.copyfile(LISTER, suite / "bin" / LISTER.name)
    output = into / "npm.log"
    with output.open("wb") as sink:
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline"],
            cwd=suite,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    if done.returncode != 0:
        raise SuiteError(f"npm ci failed ({done.returncode}):\n{_tail(output)}")
    return suite


def _title(text: str) -> str:
    return " ".join(text.split())


def case_names(paths: Sequence[Sequence[str]]) -> list[str]:
    """Each case's titles joined; a name that recurs gets its rank: ``NAME [2]``, ``NAME [3]``."""
    seen: Counter[str] = Counter()
    names = []
    for path in paths:
        name = SEPARATOR.join(_title(title) for title in path)
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{name} [{seen[name]}]")
    return names


def list_cases(suite: Path, version: str) -> list[list[str]]:
    """The title path of every case of ``version``, in the order the suite runs them."""
    done = subprocess.run(
        ["node", str(Path("bin") / LISTER.name), version],
        cwd=suite,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode != 0:
        raise SuiteError(f"listing the cases of {version} failed:\n{done.stderr[-3000:]}")
    cases: list[list[str]] = json.loads(done.stdout)
    return cases


@dataclass(frozen=True)
class Outcome:
    """One run of one version: every case's name, those that passed, the failed hooks."""

    version: str
    cases: tuple[str, ...]
    passed: frozenset[str]
    ran: int
    failed_hooks: tuple[str, ...]
    errors: Mapping[str, str]
    log: Path
    seconds: float

    @property
    def failed(self) -> tuple[str, ...]:
        """Every failure: the failed hooks, then the cases that did not pass (ran or skipped)."""
        return (*self.failed_hooks, *(name for name in self.cases if name not in self.passed))

    def summary(self) -> str:
        """One line: ``xAPI 1.0.3: 10 passed, 5 failed (3 of them not run) of 15 cases; ...``."""
        total = len(self.cases)
        return (
            f"xAPI {self.version}: {len(self.passed)} passed, {total - len(self.passed)} failed"
            f" ({total - self.ran} of them not run) of {total} cases;"
            f" failed before/after hooks: {len(self.failed_hooks)}; {self.seconds:.1f} s"
        )


def _walk(
    node: Mapping[str, Any], titles: list[str]
) -> Iterator[tuple[list[str], Mapping[str, Any]]]:
    yield titles, node
    for child in node.get("tests") or []:
        yield from _walk(child, [*titles, child.get("title") or ""])


def read_log(log: Path, version: str, cases: Sequence[Sequence[str]], seconds: float) -> Outcome:
    """The outcome of the run whose log is ``log``, for the listed ``cases`` of ``version``."""
    record = json.loads(log.read_text(encoding="utf-8"))
    if record.get("state") != "finished":
        raise SuiteError(f"the run did not finish (state {record.get('state')!r}); log: {log}")
    counted = (record.get("summary") or {}).get("total")
    if counted != len(cases):
        raise SuiteError(
            f"the suite counted {counted} cases of {version}, the listing {len(cases)}"
        )
    names = case_names(cases)
    paths = Counter(SEPARATOR.join(_title(t) for t in path) for path in cases)
    seen: Counter[str] = Counter()
    passed: set[str] = set()
    hooks: list[str] = []
    errors: dict[str, str] = {}
    ran = 0
    root = record.get("log") or {"tests": []}
    for titles, node in _walk(root, []):
        path = SEPARATOR.join(_title(title) for title in titles)
        if not node.get("tests") and titles and paths[path] > seen[path]:
            seen[path] += 1
            name = path if seen[path] == 1 else f"{path} [{seen[path]}]"
            ran += 1
            if node.get("status") == "passed":
                passed.add(name)
            elif node.get("error"):
                errors[name] = str(node["error"])
        elif node.get("error"):  # a suite's own failure: one of its hooks
            name = SEPARATOR.join([*(_title(t) for t in titles), HOOK])
            hooks.append(name)
            errors[name] = str(node["error"])
    return Outcome(
        version=version,
        cases=tuple(names),
        passed=frozenset(passed),
        ran=ran,
        failed_hooks=tuple(hooks),
        errors=errors,
        log=log,
        seconds=seconds,
    )


def _clean_environment(**extra: str) -> dict[str, str]:
    # Default settings: none of the caller's GARDIEN_ variables, the tree's own sources.
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("GARDIEN_")}
    path = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    return {**env, "PYTHONPATH": path, **extra}


def _gardien(args: Sequence[str], env: Mapping[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "gardien", *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode != 0:
        raise SuiteError(f"gardien {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


@contextmanager
def served_lrs(workdir: Path, *, timeout: float = 60.0) -> Iterator[tuple[str, str, str]]:
    """A fresh database, a fresh client, ``gardien serve``: yield endpoint, key and secret."""
    env = _clean_environment(GARDIEN_DATABASE_URL=f"sqlite:///{workdir / 'lrs.sqlite3'}")
    _gardien(["db", "upgrade"], env)
    client = json.loads(_gardien(["xapi", "client", "add", "conformance-suite", "--json"], env))
    port = free_port()
    output = workdir / "serve.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "gardien", "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise SuiteError(f"gardien serve exited ({process.returncode}):\n{_tail(output)}")
            with suppress(httpx.TransportError):
                if httpx.get(f"{base}/health", timeout=1.0, trust_env=False).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SuiteError(f"gardien serve did not answer in {timeout} s:\n{_tail(output)}")
            time.sleep(0.2)
        yield f"{base}/xapi", client["key"], client["secret"]
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(suite: Path, version: str, workdir: Path, *, timeout: float = RUN_TIMEOUT) -> Outcome:
    """Run every case of ``version`` against a fresh LRS; their outcome."""
    cases = list_cases(suite, version)
    output = workdir / f"runner-{version}.log"
    with served_lrs(workdir) as (endpoint, key, secret):
        command = ["node", "bin/console_runner.js", "-e", endpoint, "-x", version]
        command += ["-a", "-u", key, "-p", secret]  # no -z: the log must name what passed
        started = time.monotonic()
        with output.open("wb") as sink:
            try:
                subprocess.run(
                    command,
                    cwd=suite,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    timeout=timeout,
                    check=False,  # the runner exits with its count of failures
                )
            except subprocess.TimeoutExpired as timed_out:
                raise SuiteError(f"the {version} run took over {timeout} s") from timed_out
        seconds = time.monotonic() - started
    written = re.findall(
        r"^Full run log written to (.+\.log)$", output.read_text(errors="replace"), re.MULTILINE
    )
    if not written:
        raise SuiteError(f"the {version} run wrote no log:\n{_tail(output)}")
    return read_log(Path(written[-1]), version, cases, seconds)


def read_expected(path: Path) -> dict[str, str]:
    """The cases ``path`` allows to fail, each with its reason; ``#`` starts a comment line."""
    expected: dict[str, str] = {}
    if not path.exists():
        return expected
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        case, mark, reason = line.rpartition(REASON_MARK)
        if not mark or not case.strip() or not reason.strip():
            raise SuiteError(f"{path}:{number}: expected 'CASE # REASON'")
        if case in expected:
            raise SuiteError(f"{path}:{number}: listed twice")
        expected[case] = reason.strip()
    return expected


HEADER = """\
# xAPI {version}: the cases of ADL's conformance suite that gardien is allowed to fail.
# One a line: CASE # REASON, where CASE is the titles of the case's suites and its own, joined
# by " > ". tests/e2e/test_xapi_conformance.py fails when a case fails that is not listed, and
# when a listed case passes. Regenerate (keeps the reasons of cases still failing):
#   .venv/bin/python -m tests.xapi_conformance.run --update
"""


def write_expected(path: Path, outcome: Outcome, *, reason: str = DEFAULT_REASON) -> None:
    """List every failure of ``outcome`` in ``path``, keeping the reasons already given there."""
    previous = read_expected(path)
    lines = [f"{case}{REASON_MARK}{previous.get(case, reason)}" for case in outcome.failed]
    path.write_text(
        HEADER.format(version=outcome.version) + "".join(f"{line}\n" for line in lines),
        encoding="utf-8",
    )


@dataclass(frozen=True)
class Differences:
    """Where a run and its list of allowed failures disagree."""

    unexpected: tuple[str, ...]  # failed, not listed
    fixed: tuple[str, ...]  # listed, passed (or no longer exists)

    def __bool__(self) -> bool:
        return bool(self.unexpected or self.fixed)


def compare(outcome: Outcome, expected: Mapping[str, str]) -> Differences:
    """The failures ``expected`` does not list, and the listed cases that did not fail."""
    failed = outcome.failed
    return Differences(
        unexpected=tuple(case for case in failed if case not in expected),
        fixed=tuple(case for case in expected if case not in set(failed)),
    )


def report(outcome: Outcome, differences: Differences, *, shown: int = 20) -> str:
    """What a person needs to act on ``differences``: the cases, their errors, the files."""
    lines = [outcome.summary()]
    if differences.unexpected:
        lines.append(f"{len(differences.unexpected)} failed and are not listed:")
        for case in differences.unexpected[:shown]:
            error = outcome.errors.get(case, "did not run (a setup step before it failed)")
            lines.append(f"  - {case}\n      {error.splitlines()[0] if error else ''}")
    if differences.fixed:
        lines.append(f"{len(differences.fixed)} are listed but did not fail (remove them):")
        lines.extend(f"  - {case}" for case in differences.fixed[:shown])
    lines.append(f"run log: {outcome.log}")
    lines.append(f"list: {expected_path(outcome.version).relative_to(ROOT)}")
    lines.append("regenerate: .venv/bin/python -m tests.xapi_conformance.run --update")
    return "\n".join(lines)

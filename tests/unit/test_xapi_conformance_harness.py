"""How the conformance harness reads a run log: what passed, what failed, what never ran."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.xapi_conformance import harness

CASES = [["A", "t1"], ["A", "t2"], ["A", "t2"], ["B", "t3"], ["B", "C", "t4"], ["D", " t5  x"]]


def node(title: str, status: str = "", error: str = "", *tests: dict[str, Any]) -> dict[str, Any]:
    return {"title": title, "status": status, "error": error, "tests": list(tests)}


def write_log(path: Path, root: dict[str, Any], *, state: str = "finished", total: int = 6) -> Path:
    record = {"state": state, "summary": {"total": total, "passed": 0, "failed": 0}, "log": root}
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def a_run(tmp_path: Path) -> harness.Outcome:
    root = node(
        "",
        "failed",
        "",
        node(
            "A",
            "failed",
            "",
            node("t1", "passed"),
            node("t2", "failed", "Error: expected 200 got 400\nat helper.js"),
            node("t2", "passed"),
        ),
        node("B", "failed", "Error: setup refused"),  # its hook failed: t3 and C never ran
        node("D", "passed", "", node("t5 x", "passed")),
    )
    return harness.read_log(write_log(tmp_path / "run.log", root), "1.0.3", CASES, 1.0)


def test_cases_that_did_not_run_are_failures(tmp_path: Path) -> None:
    outcome = a_run(tmp_path)
    assert outcome.passed == {"A > t1", "A > t2 [2]", "D > t5 x"}
    assert outcome.failed == ("B > (a before/after hook)", "A > t2", "B > t3", "B > C > t4")
    assert outcome.ran == 4
    assert outcome.errors["A > t2"].startswith("Error: expected 200 got 400")
    assert outcome.summary() == (
        "xAPI 1.0.3: 3 passed, 3 failed (2 of them not run) of 6 cases;"
        " failed before/after hooks: 1; 1.0 s"
    )


def test_a_failed_root_hook_fails_every_case(tmp_path: Path) -> None:
    log = write_log(tmp_path / "run.log", node("", "failed", "Error: 400"))
    outcome = harness.read_log(log, "2.0.0", CASES, 0.5)
    assert outcome.passed == frozenset()
    assert outcome.failed[0] == "(a before/after hook)"
    assert len(outcome.failed) == 1 + len(CASES)
    assert outcome.ran == 0


def test_the_list_fails_on_new_failures_and_on_listed_cases_that_pass(tmp_path: Path) -> None:
    outcome = a_run(tmp_path)
    expected = {"A > t2": "r", "B > t3": "r", "A > t1": "r", "B > (a before/after hook)": "r"}
    differences = harness.compare(outcome, expected)
    assert differences.unexpected == ("B > C > t4",)
    assert differences.fixed == ("A > t1",)
    report = harness.report(outcome, differences)
    assert "1 failed and are not listed:\n  - B > C > t4\n      did not run" in report
    assert "1 are listed but did not fail (remove them):\n  - A > t1" in report
    assert not harness.compare(outcome, dict.fromkeys(outcome.failed, "r"))


def test_update_keeps_the_reasons_of_cases_still_failing(tmp_path: Path) -> None:
    path = tmp_path / "expected.txt"
    path.write_text("# a comment\nA > t2 # sub-statements: clause 2.4.4\nA > t1 # gone\n")
    harness.write_expected(path, a_run(tmp_path), reason="new")
    assert harness.read_expected(path) == {
        "B > (a before/after hook)": "new",
        "A > t2": "sub-statements: clause 2.4.4",
        "B > t3": "new",
        "B > C > t4": "new",
    }


@pytest.mark.parametrize("line", ["A > t2", "A > t2 # ", " # reason"])
def test_a_line_without_case_or_reason_is_refused(tmp_path: Path, line: str) -> None:
    path = tmp_path / "expected.txt"
    path.write_text(f"{line}\n")
    with pytest.raises(harness.SuiteError, match=r"expected.txt:1: expected 'CASE # REASON'"):
        harness.read_expected(path)


def test_a_run_that_did_not_finish_or_counted_other_cases_is_an_error(tmp_path: Path) -> None:
    root = node("", "failed", "Error: 400")
    with pytest.raises(harness.SuiteError, match="did not finish"):
        harness.read_log(write_log(tmp_path / "a.log", root, state="error"), "1.0.3", CASES, 0)
    with pytest.raises(harness.SuiteError, match=r"counted 7 cases of 1\.0\.3, the listing 6"):
        harness.read_log(write_log(tmp_path / "b.log", root, total=7), "1.0.3", CASES, 0)

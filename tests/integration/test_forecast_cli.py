"""``gardien forecast`` in-process: the table, the JSON report, and clean refusals."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import Engine

from gardien.cli.main import main
from tests.support.forecast_samples import EXPECTED, MONTHS, load


def _run(url: str, *args: str) -> int:
    return main(["--database-url", url, "forecast", *args])


def test_json_gives_per_rule_and_month_counts(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    load(engine)
    assert _run(database_url, "--until", "2026-06-30", "--as-of", "2026-01-15", "--json") == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    report = json.loads(captured.out)
    assert (report["as_of"], report["until"]) == ("2026-01-15", "2026-06-30")
    assert "no further activity resets a clock" in report["assumption"]
    counts = {
        rule["rule"]: (rule["overdue"], [month["records"] for month in rule["months"]])
        for rule in report["rules"]
    }
    assert counts == EXPECTED
    assert [month["month"] for month in report["rules"][0]["months"]] == MONTHS
    assert "@" not in captured.out


def test_the_table_by_default(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    load(engine)
    assert _run(database_url, "--as-of", "2026-01-15", "--until", "2026-03-31") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("forecast as of 2026-01-15 until 2026-03-31")
    assert ["learner_data", "learner", "delete", "1", "5"] in [line.split() for line in lines]
    assert ["learner_data", "1", "1", "3"] in [line.split() for line in lines]


def test_until_may_be_today(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(database_url, "--as-of", "2026-01-15", "--until", "2026-01-15", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert all(rule["months"] == [] and rule["total"] == 0 for rule in report["rules"])


def test_until_before_as_of_exits_2_with_one_line(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(database_url, "--as-of", "2026-01-15", "--until", "2026-01-14") == 2
    captured = capsys.readouterr()
    assert captured.err == "gardien: --until 2026-01-14 is before the as-of date 2026-01-15\n"
    assert captured.out == ""


@pytest.mark.parametrize("until", ["2026-02-30", "30/06/2026", "20260630", "soon"])
def test_a_bad_until_exits_2_with_one_line(
    database_url: str, capsys: pytest.CaptureFixture[str], until: str
) -> None:
    assert _run(database_url, "--until", until) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("gardien: --until: not a date (YYYY-MM-DD)")
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_a_bad_as_of_exits_2(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(database_url, "--until", "2026-06-30", "--as-of", "yesterday") == 2
    assert capsys.readouterr().err.startswith("gardien: --as-of / GARDIEN_NOW: not a date")


def test_until_is_required(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(database_url) == 2
    assert "--until" in capsys.readouterr().err


def test_an_unmigrated_database_is_refused(
    empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(empty_database_url, "--until", "2026-06-30") == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("gardien: ")
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_without_as_of_the_forecast_starts_today(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GARDIEN_NOW", "2030-05-20")
    assert _run(database_url, "--until", "2030-06-01", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["as_of"] == date(2030, 5, 20).isoformat()
    assert [m["month"] for m in report["rules"][0]["months"]] == ["2030-05", "2030-06"]

"""The forecast service on SQLite and PostgreSQL: exact counts, and agreement with the sweep."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from gardien.domain.clock import FixedClock
from gardien.services.forecast import Forecast, forecast
from gardien.services.sweep import sweep
from gardien.store.tables import learner
from tests.support.forecast_samples import (
    AS_OF,
    EXPECTED,
    MONTHS,
    UNTIL,
    default_policy,
    load,
)
from tests.support.lookup import LOOKUP


def _forecast(engine: Engine, as_of: date = AS_OF, until: date = UNTIL) -> Forecast:
    return forecast(engine, policy=default_policy(), clock=FixedClock.on(as_of), until=until)


def _by_rule(result: Forecast) -> dict[str, tuple[int, list[int]]]:
    return {
        rule.rule: (rule.overdue, [month.records for month in rule.months]) for rule in result.rules
    }


def _swept(engine: Engine, day: date) -> dict[str, int]:
    report = sweep(engine, policy=default_policy(), clock=FixedClock.on(day), lookup=LOOKUP)
    return {rule.rule: rule.expired for rule in report.rules}


def _learner_exists(engine: Engine, email: str) -> bool:
    with engine.connect() as connection:
        query = select(func.count()).select_from(learner).where(learner.c.email == email)
        return bool(connection.execute(query).scalar_one())


def test_counts_per_rule_and_month(engine: Engine) -> None:
    load(engine)
    result = _forecast(engine)
    assert (result.as_of, result.until) == (AS_OF, UNTIL)
    assert [rule.rule for rule in result.rules] == list(default_policy().retention)
    assert _by_rule(result) == EXPECTED
    for rule in result.rules:
        assert [month.window.month for month in rule.months] == MONTHS
        assert rule.total == sum(EXPECTED[rule.rule][1])


def test_an_empty_database_forecasts_nothing(engine: Engine) -> None:
    result = _forecast(engine)
    assert all(rule.overdue == 0 and rule.total == 0 for rule in result.rules)


def test_the_sweep_removes_what_was_forecast_month_by_month(engine: Engine) -> None:
    load(engine)
    predicted = _forecast(engine)
    # What has expired already goes with the first sweep.
    assert _swept(engine, AS_OF) == {rule.rule: rule.overdue for rule in predicted.rules}
    windows = [month.window for month in predicted.rules[0].months]
    for index, window in enumerate(windows):
        expected = {rule.rule: rule.months[index].records for rule in predicted.rules}
        assert _swept(engine, window.last) == expected, window.month
        # Last active 31 August 2024: 18 months end on 28 February (clamped), so the learner
        # is still there after the sweep of 28 February and gone after the one of 31 March.
        assert _learner_exists(engine, "alix@example.org") == (window.month < "2026-03")
        # A sweep run again the same day finds nothing more.
        assert set(_swept(engine, window.last).values()) == {0}
    # What the first forecast put after the window is still there, and only that.
    after = _by_rule(_forecast(engine, as_of=UNTIL, until=date(2026, 7, 31)))
    assert {rule: overdue for rule, (overdue, _) in after.items()} == dict.fromkeys(EXPECTED, 0)
    assert after["learner_data"][1] == [1]  # enzo, 2026-07-01
    assert after["opco_dossiers"][1] == [1]  # training ended 2020-06-30


def test_a_later_forecast_after_sweeps_keeps_the_remaining_months(engine: Engine) -> None:
    load(engine)
    predicted = _by_rule(_forecast(engine))
    for day in (AS_OF, date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)):
        _swept(engine, day)
    later = _by_rule(_forecast(engine, as_of=date(2026, 3, 31)))
    assert later == {rule: (0, months[3:]) for rule, (_, months) in predicted.items()}


def test_overdue_records_are_not_counted_again_in_the_months(engine: Engine) -> None:
    load(engine)
    # Unswept since well before the window: February's expiries are overdue on 15 March.
    result = _by_rule(_forecast(engine, as_of=date(2026, 3, 15), until=date(2026, 3, 31)))
    assert result["learner_data"] == (1 + 1 + 1 + 2, [1])  # dana and alix overdue, hugo 31 March
    assert result["invoices"] == (2, [0])  # the 2016 invoices wait for 1 January 2027
    assert result["sponsors"] == (1, [1])  # SP-IND on 16 March


def test_until_the_as_of_day_reports_only_what_is_overdue(engine: Engine) -> None:
    load(engine)
    result = _forecast(engine, until=AS_OF)
    assert _by_rule(result) == {rule: (overdue, []) for rule, (overdue, _) in EXPECTED.items()}


def test_until_before_the_as_of_day_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="before its as-of date 2026-01-15"):
        _forecast(engine, until=date(2026, 1, 14))


def test_the_json_report_holds_counts_and_no_personal_data(engine: Engine) -> None:
    load(engine)
    report = _forecast(engine).as_json()
    assert set(report) == {"as_of", "until", "assumption", "rules"}
    assert (report["as_of"], report["until"]) == ("2026-01-15", "2026-06-30")
    assert "no further activity resets a clock" in report["assumption"]
    learners = report["rules"][0]
    assert learners == {
        "rule": "learner_data",
        "record": "learner",
        "action": "delete",
        "clock": "last_activity",
        "retention_months": 18,
        "overdue": 1,
        "months": [
            {"month": "2026-01", "from": "2026-01-16", "to": "2026-01-31", "records": 1},
            {"month": "2026-02", "from": "2026-02-01", "to": "2026-02-28", "records": 1},
            {"month": "2026-03", "from": "2026-03-01", "to": "2026-03-31", "records": 3},
            {"month": "2026-04", "from": "2026-04-01", "to": "2026-04-30", "records": 0},
            {"month": "2026-05", "from": "2026-05-01", "to": "2026-05-31", "records": 0},
            {"month": "2026-06", "from": "2026-06-01", "to": "2026-06-30", "records": 1},
        ],
        "total": 6,
    }
    sponsors = next(rule for rule in report["rules"] if rule["rule"] == "sponsors")
    assert sponsors["action"] == "anonymise"
    text = json.dumps(report) + _forecast(engine).summary()
    for word in ("@", "alix", "Fictif", "Camille", "C-IND", "F-2016", "OPCO-"):
        assert word not in text


def test_the_summary_is_a_table_per_rule_then_one_per_year(engine: Engine) -> None:
    load(engine)
    lines = _forecast(engine, until=date(2027, 1, 31)).summary().splitlines()
    assert lines[0] == (
        "forecast as of 2026-01-15 until 2027-01-31: records that retention will delete "
        "or anonymise"
    )
    assert lines[1].startswith("assumption: counts the records stored on the as-of date")
    assert all(len(line) <= 100 for line in lines)
    rule_table = lines.index(next(line for line in lines if line.startswith("rule ")))
    assert lines[rule_table].split() == ["rule", "record", "action", "overdue", "total"]
    assert lines[rule_table + 1].split() == ["learner_data", "learner", "delete", "1", "7"]
    assert lines[rule_table + 4].split() == ["sponsors", "sponsor", "anonymise", "1", "2"]
    assert "overdue: expired on 2026-01-15 already, for the next sweep to remove" in lines
    assert "total: becoming expired from 2026-01-16 to 2027-01-31" in lines
    year_2026, year_2027 = lines.index(_header(lines, "2026")), lines.index(_header(lines, "2027"))
    months = [f"{date(2026, m, 1):%b}" for m in range(1, 13)]  # Jan .. Dec, in English
    assert lines[year_2026].split() == ["2026", *months]
    assert lines[year_2026 + 1].split() == ["learner_data", *"113001100000"]
    assert lines[year_2027].split() == ["2027", "Jan"]
    assert lines[year_2027 + 1].split() == ["learner_data", "0"]
    assert len(lines) == year_2027 + 1 + len(EXPECTED)


def _header(lines: list[str], year: str) -> str:
    return next(line for line in lines if line.split()[:1] == [year])

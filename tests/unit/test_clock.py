"""The injected clock: fixed instants, parsing ``--as-of`` / ``GARDIEN_NOW``, and bad dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from gardien.bootstrap import bootstrap, clock_from
from gardien.cli.main import main
from gardien.domain.clock import FixedClock, SystemClock, parse_instant
from gardien.errors import ConfigurationError
from gardien.settings import Settings

PARIS_SUMMER = timezone(timedelta(hours=2))


def test_fixed_clock_stays_where_it_is_put() -> None:
    clock = FixedClock(datetime(2025, 3, 15, 9, 30, tzinfo=UTC))
    assert clock.now() == datetime(2025, 3, 15, 9, 30, tzinfo=UTC)
    assert clock.now() == clock.now()
    assert clock.today() == date(2025, 3, 15)
    assert repr(clock) == "FixedClock(2025-03-15T09:30:00+00:00)"


def test_fixed_clock_reads_naive_instants_as_utc() -> None:
    clock = FixedClock(datetime(2025, 3, 15, 9, 30))
    assert clock.now().tzinfo is UTC
    assert clock.now() == datetime(2025, 3, 15, 9, 30, tzinfo=UTC)


def test_fixed_clock_converts_other_zones_to_utc() -> None:
    clock = FixedClock(datetime(2025, 7, 1, 1, 0, tzinfo=PARIS_SUMMER))
    assert clock.now() == datetime(2025, 6, 30, 23, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)
    assert clock.today() == date(2025, 6, 30)


def test_fixed_clock_on_a_day_is_noon_utc() -> None:
    clock = FixedClock.on(date(2024, 2, 29))
    assert clock.now() == datetime(2024, 2, 29, 12, 0, tzinfo=UTC)
    assert clock.today() == date(2024, 2, 29)


def test_system_clock_is_aware_and_utc() -> None:
    now = SystemClock().now()
    assert now.utcoffset() == timedelta(0)
    assert SystemClock().today() >= now.date()


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2025-03-15", datetime(2025, 3, 15, 12, 0, tzinfo=UTC)),
        (" 2025-03-15 ", datetime(2025, 3, 15, 12, 0, tzinfo=UTC)),
        ("2025-03-15T08:00:00Z", datetime(2025, 3, 15, 8, 0, tzinfo=UTC)),
        ("2025-03-15T08:00:00", datetime(2025, 3, 15, 8, 0, tzinfo=UTC)),
        ("2025-03-15T08:00:00+02:00", datetime(2025, 3, 15, 6, 0, tzinfo=UTC)),
        ("2024-02-29", datetime(2024, 2, 29, 12, 0, tzinfo=UTC)),
    ],
)
def test_parse_instant(text: str, instant: datetime) -> None:
    parsed = parse_instant(text)
    assert parsed == instant
    assert parsed.tzinfo is not None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "tomorrow",
        "2025-02-30",
        "2023-02-29",
        "2025-13-01",
        "15/03/2025",
        "2025-3-5x",
        "20250315",
    ],
)
def test_parse_instant_refuses_what_is_not_a_date(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a date \(YYYY-MM-DD\) nor an ISO 8601 instant"):
        parse_instant(text)


def test_clock_from_nothing_is_the_system_clock() -> None:
    assert isinstance(clock_from(None), SystemClock)
    assert isinstance(clock_from(""), SystemClock)


def test_clock_from_a_date_is_fixed() -> None:
    clock = clock_from("2026-01-31")
    assert isinstance(clock, FixedClock)
    assert clock.today() == date(2026, 1, 31)


@pytest.mark.parametrize("text", ["2025-02-30", "soon", "31/01/2026"])
def test_clock_from_a_bad_date_is_a_configuration_error(text: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        clock_from(text)
    message = str(caught.value)
    assert repr(text) in message
    assert "YYYY-MM-DD" in message
    assert message.startswith("--as-of / GARDIEN_NOW: ")
    assert caught.value.exit_code == 2


def test_bootstrap_honours_gardien_now() -> None:
    container = bootstrap(Settings(now="2027-06-01"))
    assert container.clock.today() == date(2027, 6, 1)


def test_as_of_wins_over_gardien_now() -> None:
    container = bootstrap(Settings(now="2027-06-01"), as_of="2028-01-02")
    assert container.clock.today() == date(2028, 1, 2)


def test_bootstrap_refuses_a_bad_gardien_now() -> None:
    with pytest.raises(ConfigurationError, match="'2027-02-31'"):
        bootstrap(Settings(now="2027-02-31"))


def test_a_bad_as_of_is_one_line_on_stderr_with_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GARDIEN_POLICY", raising=False)
    monkeypatch.delenv("GARDIEN_NOW", raising=False)
    code = main(["subject", "export", "--email", "x@example.org", "--as-of", "2025-02-30"])
    assert code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert "'2025-02-30'" in err
    assert "YYYY-MM-DD" in err

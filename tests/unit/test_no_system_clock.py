"""Time is injected: only ``gardien/domain/clock.py`` may read the system clock.

Anything else that called ``datetime.now()`` would make "as of" runs, forecasts and tests
lie about the date, so the source itself is scanned.
"""

from __future__ import annotations

import re
from pathlib import Path

import gardien

PACKAGE = Path(gardien.__file__).parent
ALLOWED = PACKAGE / "domain" / "clock.py"

# Calls that read the wall clock, whitespace-tolerant (``datetime . now (`` counts too).
SYSTEM_CLOCK = re.compile(
    r"\b(?:datetime\s*\.\s*(?:now|utcnow|today)"
    r"|date\s*\.\s*today"
    r"|time\s*\.\s*(?:time|time_ns))\s*\("
)


def offences(text: str) -> list[tuple[int, str]]:
    """(line, text) of every system-clock call in ``text``."""
    return [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), start=1)
        if SYSTEM_CLOCK.search(line)
    ]


def test_only_the_clock_module_reads_the_system_clock() -> None:
    sources = sorted(PACKAGE.rglob("*.py"))
    assert len(sources) > 20, "the scan must see the whole package"
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line}"
        for path in sources
        if path != ALLOWED
        for number, line in offences(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "read the injected Clock instead:\n" + "\n".join(found)


def test_the_clock_module_is_where_the_system_clock_is_read() -> None:
    assert offences(ALLOWED.read_text(encoding="utf-8")), "the allowed module moved?"


def test_the_scan_catches_every_form() -> None:
    sample = "\n".join(
        [
            "stamp = datetime.now(UTC)",
            "stamp = datetime.datetime.utcnow()",
            "day = date.today()",
            "day = datetime.today()",
            "seconds = time.time()",
            "nanos = time.time_ns()",
            "stamp = datetime . now ( tz=UTC )",
        ]
    )
    assert [number for number, _ in offences(sample)] == [1, 2, 3, 4, 5, 6, 7]


def test_the_scan_lets_the_injected_clock_through() -> None:
    sample = "\n".join(
        [
            "stamp = clock.now()",
            "day = clock.today()",
            "started = time.monotonic()",
            "stamp = datetime.fromisoformat(text)",
            "value = update_time.time_zone",
            "# the system clock is read in one place: SystemClock.now",
        ]
    )
    assert offences(sample) == []

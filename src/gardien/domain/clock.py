"""Time is injected: the only place in gardien that reads the system clock.

Every command that depends on the date takes a :class:`Clock`, so it can run "as of" any day
(forecasts, simulations, tests). The server uses ``GARDIEN_NOW`` when it is set.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Protocol

_EXTENDED = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}.*)?$")


class Clock(Protocol):
    """Something that tells the current instant, always timezone-aware (UTC)."""

    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """The real clock: the single place that calls ``datetime.now``."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


class FixedClock:
    """A clock stopped at a given instant: ``--as-of``, ``GARDIEN_NOW`` and tests."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        self._instant = instant.astimezone(UTC)

    @classmethod
    def on(cls, day: date) -> FixedClock:
        """A clock at noon UTC of ``day``, so that local dates agree in Europe."""
        return cls(datetime.combine(day, time(12, 0), tzinfo=UTC))

    def now(self) -> datetime:
        return self._instant

    def today(self) -> date:
        return self._instant.date()

    def __repr__(self) -> str:
        return f"FixedClock({self._instant.isoformat()})"


def parse_instant(text: str) -> datetime:
    """Parse ``YYYY-MM-DD`` or an ISO 8601 instant; a bare date means noon UTC that day."""
    text = text.strip()
    # Only the extended forms: a compact "20240101" would silently mean midnight, not noon.
    problem = f"not a date (YYYY-MM-DD) nor an ISO 8601 instant (YYYY-MM-DDTHH:MM): {text!r}"
    if not _EXTENDED.match(text):
        raise ValueError(problem)
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(12, 0), tzinfo=UTC)
        instant = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(problem) from exc
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)

"""One value of the people's export as a person reads it in a spreadsheet cell.

Dates as people write them (:mod:`gardien.i18n.dates`), instants in France's time, booleans
as Oui/Non or Yes/No, scores and rates as percentages, amounts in their currency, coded values
in words (:mod:`gardien.services.export_labels`), and nested data as ``label: value`` text,
never Python's or JSON's notation. A text that a spreadsheet would run as a formula is
prefixed with an apostrophe (the exact value stays in ``export.json``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from babel.numbers import format_currency, format_decimal, format_percent

from gardien.i18n import translations
from gardien.i18n.dates import LOCAL, format_day, format_time
from gardien.services.export_labels import field_label, known_field, value_label

__all__ = ["Cells"]

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# Fields holding a scaled score (-1 to 1) or a rate out of 100.
_SCALED = frozenset({"score_scaled", "result_score_scaled"})
_RATES = frozenset({"progress", "completion_rate"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues; it is translated where it is written."""
    return message


YES, NO = N_("Yes"), N_("No")
LABELLED = N_("%(label)s: %(value)s")  # French puts a space before the colon


class Cells:
    """Formats values for one language (``fr`` or ``en``)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        found = translations(lang)
        self.gettext: Callable[[str], str] = found.gettext
        self.ngettext: Callable[[str, str, int], str] = found.ngettext
        self._offsets: dict[tuple[date, int], timedelta] = {}
        self._percents: dict[float, str] = {}

    def heading(self, record: str, name: str) -> str:
        """The column heading of ``record``'s field ``name``."""
        label = field_label(record, name, self.gettext)
        return label[:1].upper() + label[1:]

    def labelled(self, label: str, value: str) -> str:
        """``label: value`` with the punctuation of the language."""
        return self.gettext(LABELLED) % {"label": label, "value": value}

    def day(self, value: Any) -> str:
        """A date (or the day of an ISO instant) as the person writes it."""
        return format_day(value, self.lang) if value else ""

    def cell(self, name: str, value: Any, *, currency: str | None = None) -> str:
        """The value of field ``name``; ``currency`` for the amounts of a record in cents."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return self.gettext(YES if value else NO)
        if isinstance(value, int | float):
            return self._number(name, value, currency)
        if isinstance(value, Mapping):
            return self._flatten(value)
        if isinstance(value, list | tuple):
            return self._items(value)
        return self._text(name, str(value))

    def _instant(self, at: datetime) -> str:
        """:func:`format_time`, with France's offset looked up once per hour of the day: a
        learner's statements are many, their hours few (the time zone rules are slow)."""
        own = at.utcoffset()
        if own is None:
            return format_time(at, self.lang)
        utc = at.replace(tzinfo=None) - own
        key = (utc.date(), utc.hour)  # France changes its offset on a whole hour of UTC
        offset = self._offsets.get(key)
        if offset is None:
            local_offset = at.astimezone(LOCAL).utcoffset() or timedelta(0)
            offset = self._offsets[key] = local_offset
        local = utc + offset
        return f"{format_day(local.date(), self.lang)} {local:%H:%M}"

    def _number(self, name: str, value: float, currency: str | None) -> str:
        if name in _SCALED:
            return self._percent(value)
        if name in _RATES:
            return self._percent(value / 100)
        if name.endswith("_cents") and currency:
            return str(format_currency(value / 100, currency, locale=self.lang))
        return str(format_decimal(value, locale=self.lang))

    def _percent(self, value: float) -> str:
        # Scores repeat (0.8, 0.75...): Babel's formatting is worth remembering.
        found = self._percents.get(value)
        if found is None:
            found = self._percents[value] = str(format_percent(value, locale=self.lang))
        return found

    def _text(self, name: str, text: str) -> str:
        coded = value_label(name, text, self.gettext)
        if coded is not None:
            return coded
        if _DAY.match(text):
            return format_day(text, self.lang)
        if _INSTANT.match(text):
            try:
                return self._instant(datetime.fromisoformat(text))
            except ValueError:
                return text
        return "'" + text if text.startswith(_FORMULA_START) else text

    def _flatten(self, value: Mapping[str, Any], prefix: str = "") -> str:
        """``{"score": {"scaled": 0.8}}`` → ``Score › scaled: 80 %``; one ``; `` per leaf."""
        parts = []
        for key, item in value.items():
            label = self._key(str(key))
            path = f"{prefix} › {label}" if prefix else label
            if isinstance(item, Mapping) and item:
                parts.append(self._flatten(item, path))
            else:
                parts.append(self.labelled(path, self.cell(str(key), item)))
        return "; ".join(parts)

    def _items(self, values: list[Any] | tuple[Any, ...]) -> str:
        shown = []
        for item in values:
            if isinstance(item, str) and known_field(item):
                shown.append(self._key(item))  # a list of field names: their labels
            else:
                shown.append(self.cell("", item))
        return ", ".join(shown)

    def _key(self, key: str) -> str:
        return field_label("", key, self.gettext) if known_field(key) else key

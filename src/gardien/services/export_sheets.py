"""The CSV files of the people's export: one per category, or per kind of record in it.

A sheet has a file name and a title in the person's language, labelled columns, and its rows,
which for a learner's statements are read from the database as the zip is written (the
statements are a :class:`~gardien.services.export_stream.StatementStream` in the envelope).
Every row ends with the record's retention: until when it is kept, under which rule of the
policy (its label, never its id), and what outlives it.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from gardien.domain.vocabulary import LegalBasis
from gardien.services.export_cells import Cells
from gardien.services.export_labels import DROPPED, RECORDS, VERBS
from gardien.services.register.wording import LEGAL_BASIS_NAMES

__all__ = [
    "Sheet",
    "StatementRows",
    "csv_bytes",
    "delimiter",
    "localised",
    "rule_text",
    "sheets",
]

# A learner's statements in batches of rows as ``stream_statements`` gives them, with the
# stream's retention: supplied by the export, which holds the database connection.
StatementRows = Callable[[Any], Iterator[list[dict[str, Any]]]]


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues; it is translated where it is written."""
    return message


_KEPT_UNTIL = N_("Kept until")
_RULE = N_("Retention rule")
_KEPT_LONGER = N_("Kept longer")
# The statement columns, in reading order; the statement as sent is in export.json.
STATEMENT_COLUMNS = (
    "timestamp",
    "verb",
    "object_id",
    "result_success",
    "result_completion",
    "result_score_scaled",
    "client",
    "stored_at",
    "voided",
    "registration",
    "statement_id",
)


@dataclass
class Sheet:
    """One CSV file: its name, what it holds (for the README), its header and rows."""

    name: str
    title: str
    description: str
    purposes: list[str]
    count: int
    header: list[str]
    rows: Callable[[], Iterator[list[list[str]]]]  # batches of rows, read when written


def delimiter(lang: str) -> str:
    """``;`` in French (the list separator of French spreadsheets, whose decimal mark is the
    comma), ``,`` in English."""
    return ";" if lang == "fr" else ","


def csv_bytes(rows: Iterable[list[str]], lang: str) -> bytes:
    """Rows as CSV text in UTF-8, lines ended by CRLF (RFC 4180)."""
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter(lang), lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode("utf-8")


def sheets(
    envelope: dict[str, Any],
    cells: Cells,
    statements: StatementRows,
    activities: Mapping[str, str] | None = None,
) -> list[Sheet]:
    """The export's sheets in the order of its categories, then the transmissions;
    ``activities`` names the modules' xAPI activities (``Path — Module``)."""
    found: list[Sheet] = []
    retention = _Retention(envelope, cells)
    for category in envelope["categories"]:
        groups: dict[str, list[Any]] = {}
        for record in category["records"]:
            kind = "activity_statement" if _is_stream(record) else record["record"]
            groups.setdefault(kind, []).append(record)
        title = localised(category.get("label"), cells.lang) or category["category"]
        description = localised(category.get("description"), cells.lang)
        purposes = [_purpose(purpose, cells.lang) for purpose in category["purposes"]]
        for kind, records in groups.items():
            full_title = title
            if len(groups) > 1:
                full_title = f"{title} — {cells.gettext(RECORDS.get(kind, kind))}"
            sheet = (
                _statement_sheet(records, cells, retention, statements, activities or {})
                if kind == "activity_statement"
                else _record_sheet(kind, records, cells, retention)
            )
            sheet.title, sheet.description, sheet.purposes = full_title, description, purposes
            found.append(sheet)
    found.append(_transmission_sheet(envelope, cells))
    for number, sheet in enumerate(found, start=1):
        sheet.name = f"{number:02d}-{_slug(sheet.title)}.csv"
    return found


# -- records -----------------------------------------------------------------------------------


def _record_sheet(
    kind: str, records: list[dict[str, Any]], cells: Cells, retention: _Retention
) -> Sheet:
    columns: list[tuple[str, str]] = []  # (part of the record, field name)
    seen: set[str] = set()
    for record in records:
        for part in ("fields", "context"):
            for name in record[part]:
                if (kind, name) not in DROPPED and name not in seen:
                    seen.add(name)
                    columns.append((part, name))
    header = [cells.heading(kind, name) for _, name in columns] + retention.header()

    def rows() -> Iterator[list[list[str]]]:
        batch = []
        for record in records:
            currency = record["context"].get("currency")
            batch.append(
                [
                    cells.cell(name, record[part].get(name), currency=currency)
                    for part, name in columns
                ]
                + retention.cells(record["retention"])
            )
        yield batch

    return Sheet("", "", "", [], len(records), header, rows)


# -- learning activity -------------------------------------------------------------------------


def _statement_sheet(
    records: list[Any],
    cells: Cells,
    retention: _Retention,
    statements: StatementRows,
    activities: Mapping[str, str],
) -> Sheet:
    header = [cells.heading("activity_statement", name) for name in STATEMENT_COLUMNS]
    header += retention.header()
    count = sum(record.count if _is_stream(record) else 1 for record in records)

    def row(fields: dict[str, Any], context: dict[str, Any], kept: list[str]) -> list[str]:
        values = {**fields, **context}
        statement = _statement_of(fields.get("raw"), values, activities)
        cells_of = []
        for name in STATEMENT_COLUMNS:
            if name == "verb":
                cells_of.append(_verb(str(values.get("verb") or ""), statement, cells))
            elif name == "object_id":
                object_id = values.get("object_id")
                known = activities.get(object_id) if isinstance(object_id, str) else None
                cells_of.append(known or _activity(object_id, statement, cells))
            else:
                cells_of.append(cells.cell(name, values.get(name)))
        return cells_of + kept

    def rows() -> Iterator[list[list[str]]]:
        for record in records:
            if _is_stream(record):
                kept = retention.cells(record.retention)
                for batch in statements(record):
                    yield [row(one["fields"], one["context"], kept) for one in batch]
            else:
                yield [
                    row(record["fields"], record["context"], retention.cells(record["retention"]))
                ]

    return Sheet("", "", "", [], count, header, rows)


def _statement_of(raw: Any, values: dict[str, Any], activities: Mapping[str, str]) -> Any:
    """The statement as sent, decoded only when a column needs it: a verb gardien has no
    word for, or an activity that is no module of the catalogue but has a name."""
    if not isinstance(raw, str | bytes):
        return raw or {}
    verb = str(values.get("verb") or "").rstrip("/").rsplit("/", 1)[-1]
    named = values.get("object_id") not in activities and (
        '"definition"' in raw if isinstance(raw, str) else b'"definition"' in raw
    )
    return orjson.loads(raw) if named or verb not in VERBS else {}


def _verb(iri: str, statement: Any, cells: Cells) -> str:
    word = iri.rstrip("/").rsplit("/", 1)[-1]
    if word in VERBS:
        return cells.gettext(VERBS[word])
    shown = _in_language(_dig(statement, "verb", "display"), cells.lang)
    return shown or word


def _activity(object_id: Any, statement: Any, cells: Cells) -> str:
    """The activity's name as the platform gave it, else its identifier (an address)."""
    name = _in_language(_dig(statement, "object", "definition", "name"), cells.lang)
    return name or cells.cell("object_id", object_id)


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _in_language(names: Any, lang: str) -> str:
    """A language map's text in ``lang`` (``fr``, ``fr-FR``), else English, else any."""
    if not isinstance(names, dict) or not names:
        return ""
    for wanted in (lang, "en"):
        for tag, text in names.items():
            if str(tag).lower().split("-")[0] == wanted and isinstance(text, str):
                return text
    first = next(iter(names.values()))
    return first if isinstance(first, str) else ""


# -- transmissions -----------------------------------------------------------------------------

_SENT_COLUMNS = (
    N_("Sent on"),
    N_("Recipient"),
    N_("Legal basis"),
    N_("Contract"),
    N_("Funding"),
    N_("Data sent"),
)


def _transmission_sheet(envelope: dict[str, Any], cells: Cells) -> Sheet:
    sent = envelope["transmissions"]

    def rows() -> Iterator[list[list[str]]]:
        yield [
            [
                cells.cell("transmitted_at", item["transmitted_at"]),
                localised(item.get("recipient_label"), cells.lang) or item["recipient"],
                _basis(item["legal_basis"], cells.lang),
                item["contract"] or "",
                cells.cell("funding_type", item["funding_type"]),
                ", ".join(_sent_field(dotted, envelope, cells) for dotted in item["fields"]),
            ]
            for item in sent
        ]

    title = cells.gettext(N_("Transmissions to third parties"))
    description = cells.gettext(
        N_("Who received data about you, when, on which legal basis, and which data.")
    )
    header = [cells.gettext(message) for message in _SENT_COLUMNS]
    return Sheet("", title, description, [], len(sent), header, rows)


def _sent_field(dotted: str, envelope: dict[str, Any], cells: Cells) -> str:
    table, _, column = dotted.partition(".")
    if column:
        return cells.heading(
            table, column.removesuffix("_id") if column != "learner_id" else column
        )
    for category in envelope["categories"]:
        if category["category"] == dotted:
            return localised(category.get("label"), cells.lang) or dotted
    return cells.heading("", dotted)


# -- retention ---------------------------------------------------------------------------------


class _Retention:
    """The three retention columns of every row, from the rules the envelope describes."""

    def __init__(self, envelope: dict[str, Any], cells: Cells) -> None:
        self.rules: dict[str, Any] = envelope["retention_rules"]
        self.fmt = cells
        self.lang = cells.lang

    def header(self) -> list[str]:
        return [self.fmt.gettext(m) for m in (_KEPT_UNTIL, _RULE, _KEPT_LONGER)]

    def cells(self, retention: dict[str, Any] | None) -> list[str]:
        if retention is None:
            return ["", "", ""]
        return [self._until(retention), self._rule(retention["rule"]), self._longer(retention)]

    def _until(self, retention: dict[str, Any]) -> str:
        if retention.get("ends_on") is None:
            return localised(retention.get("until"), self.lang)
        day = self.fmt.day(retention["ends_on"])
        if retention.get("status") == "expired":
            return self.fmt.gettext(N_("%(date)s (period over: erasure is due)")) % {"date": day}
        return day

    def _rule(self, rid: str) -> str:
        rule = self.rules.get(rid)
        return rule_text(rule, self.fmt) if rule is not None else ""

    def _longer(self, retention: dict[str, Any]) -> str:
        fmt, gettext = self.fmt, self.fmt.gettext
        parts = []
        held = retention.get("kept_on_erasure") or []
        if held:
            text = gettext(N_("Kept even after an erasure, until %(date)s: %(fields)s"))
            part = text % {"fields": fmt.cell("", held), "date": fmt.day(retention["ends_on"])}
            duty = retention.get("legal_duty")
            if duty:
                part += f" — {localised(duty.get('reason'), self.lang)}"
            parts.append(part)
        for kept in retention.get("kept_longer") or []:
            text = gettext(N_("Kept until %(date)s under the rule “%(rule)s”: %(fields)s"))
            rule = localised((self.rules.get(kept["rule"]) or {}).get("label"), self.lang)
            values = {
                "fields": fmt.cell("", kept["fields"]),
                "date": fmt.day(kept["ends_on"]),
                "rule": rule,
            }
            parts.append(text % values)
        return "; ".join(parts)


# -- helpers -----------------------------------------------------------------------------------


def _is_stream(record: Any) -> bool:
    return not isinstance(record, dict)


def rule_text(rule: dict[str, Any], cells: Cells, *, joiner: str = " (") -> str:
    """A retention rule as the policy words it, with its period: « Factures (120 mois à
    compter de la clôture …) », or with ``joiner=": "`` « Factures : 120 mois … »."""
    label = localised(rule["label"], cells.lang)
    clock = localised((rule.get("clock") or {}).get("label"), cells.lang)
    months = int(rule.get("months") or 0)
    if months:
        span = cells.ngettext("%(num)d month", "%(num)d months", months) % {"num": months}
        clock = f"{span} {clock}".strip()
    if not clock:
        return label
    return f"{label}{joiner}{clock}" + (")" if joiner == " (" else "")


def localised(value: Any, lang: str) -> str:
    """A policy text ``{"fr": …, "en": …}`` in ``lang``."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or "")
    return str(value or "")


def _purpose(purpose: dict[str, Any], lang: str) -> str:
    return f"{localised(purpose['label'], lang)} — {_basis(purpose['legal_basis'], lang)}"


def _basis(name: str, lang: str) -> str:
    try:
        return LEGAL_BASIS_NAMES[LegalBasis(name)].in_(lang)  # type: ignore[arg-type]
    except ValueError:
        return name


def _slug(title: str) -> str:
    """A file name anyone's system accepts: ``Activité sur la plateforme`` →
    ``activite-sur-la-plateforme``."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60] or "donnees"

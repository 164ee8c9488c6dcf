"""A subject export written as it is read: JSON and zip downloads with flat memory.

The export's envelope (who, which categories, purposes, retention rules, every record but the
statements) is small and built whole by :mod:`gardien.services.subject_export`. A learner's
statements may be hundreds of thousands: in the envelope they are a :class:`StatementStream`,
a placeholder that the writers here replace by the statements read from the database in
batches, each one serialised without decoding its stored JSON (an ``orjson.Fragment``), so
that the export costs little more than the SELECT of the same rows (``bench/export.py``).
"""

from __future__ import annotations

import csv
import io
import secrets
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson
from sqlalchemy import Connection

from gardien.store.subject_statements import STATEMENT_FIELDS, client_names, stream_statements

_ENVELOPE = (
    orjson.OPT_INDENT_2
    | orjson.OPT_SORT_KEYS
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATACLASS  # a StatementStream becomes its marker, nothing else
)
# Past this many statements an entry of the zip may pass 4 GiB: write it as ZIP64.
_ZIP64_STATEMENTS = 200_000


@dataclass(frozen=True)
class StatementStream:
    """A learner's statements, counted, to be read when the export is written.

    ``retention`` is the learner's (every statement of a learner shares it); ``marker`` the
    placeholder the envelope holds in their place, random so that no data can forge it.
    """

    learner_id: int
    count: int
    category: str
    retention: dict[str, Any]
    marker: str = field(default_factory=lambda: f"gardien-statements:{secrets.token_hex(16)}")


class SubjectExport:
    """An export being read, within its read transaction: write it as JSON, zip, or preview."""

    def __init__(
        self, connection: Connection, envelope: dict[str, Any], streams: list[StatementStream]
    ) -> None:
        self._connection = connection
        self.envelope = envelope
        self.streams = streams

    # -- JSON ----------------------------------------------------------------------------------

    def json_chunks(self) -> Iterator[bytes]:
        """The whole export as UTF-8 JSON, in pieces: the envelope indented, one line per
        statement."""
        data = orjson.dumps(self.envelope, option=_ENVELOPE, default=_marker_of)
        position = 0
        for stream in self.streams:
            token = orjson.dumps(stream.marker)
            at = data.index(token, position)
            head = data[position:at].rstrip()
            # Records listed before the statements end with a comma the statements continue.
            after_others = head.endswith(b",")
            yield head.removesuffix(b",")
            yield from self._statements_json(stream, after_others)
            position = at + len(token)
        yield data[position:]

    def _statements_json(self, stream: StatementStream, after_others: bool) -> Iterator[bytes]:
        first = not after_others
        for batch in self._record_batches(stream):
            joined = b",\n".join(batch)
            yield (b"\n" if first else b",\n") + joined
            first = False

    def _record_batches(self, stream: StatementStream, limit: int = 2000) -> Iterator[list[bytes]]:
        retention = orjson.Fragment(orjson.dumps(stream.retention))
        clients = client_names(self._connection)
        dumps, fragment = orjson.dumps, orjson.Fragment
        for batch in stream_statements(self._connection, stream.learner_id, batch=limit):
            yield [
                dumps(
                    {
                        "context": {"client": clients.get(row[11]), "voided": _BOOL[row[10]]},
                        "fields": {
                            "object_id": row[0],
                            "raw": fragment(row[1]),
                            "registration": row[2],
                            "result_completion": _BOOL[row[3]],
                            "result_score_scaled": row[4],
                            "result_success": _BOOL[row[5]],
                            "statement_id": row[6],
                            "stored_at": row[7],
                            "timestamp": row[8],
                            "verb": row[9],
                        },
                        "record": "activity_statement",
                        "retention": retention,
                    }
                )
                for row in batch
            ]

    # -- a page's view -------------------------------------------------------------------------

    def preview(self, limit: int) -> dict[str, Any]:
        """The export with at most ``limit`` statements per learner, as data; each category
        says how many records it holds in all (``record_total``)."""
        categories = []
        for category in self.envelope["categories"]:
            records: list[Any] = []
            total = 0
            for record in category["records"]:
                if isinstance(record, StatementStream):
                    records += self._first_records(record, limit)
                    total += record.count
                else:
                    records.append(record)
                    total += 1
            categories.append({**category, "records": records, "record_total": total})
        return {**self.envelope, "categories": categories}

    def _first_records(self, stream: StatementStream, limit: int) -> list[dict[str, Any]]:
        if limit <= 0:
            return []
        batch = next(self._record_batches(stream, limit), [])
        return [orjson.loads(record) for record in batch[:limit]]

    # -- zip -----------------------------------------------------------------------------------

    def zip_chunks(self) -> Iterator[bytes]:
        """A zip of the JSON export and one CSV file per category (one row per field), and
        ``transmissions.csv``; written and handed out piece by piece."""
        sink = _Sink()
        large = sum(stream.count for stream in self.streams) > _ZIP64_STATEMENTS
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            with archive.open(_entry("export.json"), "w", force_zip64=large) as entry:
                for chunk in self.json_chunks():
                    entry.write(chunk)
                    yield from sink.drain()
            for category in self.envelope["categories"]:
                name = f"{category['category']}.csv"
                with archive.open(_entry(name), "w", force_zip64=large) as entry:
                    yield from self._category_csv(category["records"], entry, sink)
            with archive.open(_entry("transmissions.csv"), "w") as entry:
                entry.write(_BOM + _csv(_transmission_rows(self.envelope)))
        yield from sink.drain()

    def _category_csv(self, records: list[Any], entry: IO[bytes], sink: _Sink) -> Iterator[bytes]:
        entry.write(_BOM + _csv([_CSV_HEADER]))
        for record in records:
            if isinstance(record, StatementStream):
                for rows in self._statement_rows(record):
                    entry.write(_csv(rows))
                    yield from sink.drain()
            else:
                entry.write(_csv(_field_rows(record)))
        yield from sink.drain()

    def _statement_rows(self, stream: StatementStream) -> Iterator[list[list[str]]]:
        rule = str(stream.retention.get("rule") or "")
        ends_on = str(stream.retention.get("ends_on") or "")
        for batch in stream_statements(self._connection, stream.learner_id):
            rows = []
            for row in batch:
                for name, value in zip(STATEMENT_FIELDS, row, strict=False):
                    if name in _BOOLEAN_FIELDS:
                        value = _BOOL[value]
                    rows.append(["activity_statement", name, _text(value), rule, ends_on])
            yield rows


# Booleans as drivers give them (SQLite: 0 and 1), as JSON wants them.
_BOOL: dict[Any, bool | None] = {None: None, 0: False, 1: True}
_BOOLEAN_FIELDS = frozenset({"result_completion", "result_success"})
_BOM = "\ufeff".encode()  # lets spreadsheets read accents
_CSV_HEADER = ["record", "field", "value", "retention_rule", "retention_ends_on"]


def _marker_of(value: object) -> str:
    if isinstance(value, StatementStream):
        return value.marker
    raise TypeError(f"cannot write {type(value).__name__} in an export")


class _Sink(io.RawIOBase):
    """Where the zip writes: holds the bytes until the response takes them."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def drain(self) -> Iterator[bytes]:
        if self._parts:
            joined = b"".join(self._parts)
            self._parts.clear()
            yield joined


def _entry(name: str) -> zipfile.ZipInfo:
    # A fixed date: the same data gives the same bytes (a person can compare two downloads).
    info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _text(value: Any) -> str:
    """A value in a CSV cell: nested data as JSON, never Python's own notation."""
    if value is None:
        return ""
    if isinstance(value, dict | list | bool):
        return orjson.dumps(value).decode()
    return str(value)


def _field_rows(record: dict[str, Any]) -> list[list[str]]:
    retention = record.get("retention") or {}
    rule = str(retention.get("rule") or "")
    ends_on = str(retention.get("ends_on") or "")
    return [
        [record["record"], name, _text(value), rule, ends_on]
        for name, value in record["fields"].items()
    ]


def _transmission_rows(envelope: dict[str, Any]) -> list[list[str]]:
    rows = [["transmitted_at", "recipient", "legal_basis", "contract", "fields"]]
    for sent in envelope["transmissions"]:
        rows.append(
            [
                sent["transmitted_at"],
                sent["recipient"],
                sent["legal_basis"],
                sent["contract"] or "",
                " ".join(sent["fields"]),
            ]
        )
    return rows


def _csv(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode("utf-8")

"""A subject export written as it is read: JSON and zip downloads with flat memory.

The export's envelope (who, which categories, purposes, retention rules, every record but the
statements) is small and built whole by :mod:`gardien.services.subject_export`. A learner's
statements may be hundreds of thousands: in the envelope they are a :class:`StatementStream`,
a placeholder that the writers here replace by the statements read from the database in
batches, each one serialised without decoding its stored JSON (an ``orjson.Fragment``), so
that the export costs little more than the SELECT of the same rows (``bench/export.py``).
"""

from __future__ import annotations

import io
import secrets
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, select

from gardien.i18n import DEFAULT_LANGUAGE
from gardien.services.export_cells import Cells
from gardien.services.export_readme import JSON_NAME, README_NAME, readme
from gardien.services.export_sheets import csv_bytes, sheets
from gardien.store.subject_statements import STATEMENT_FIELDS, client_names, stream_statements
from gardien.store.tables import learning_module, learning_path

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

    def zip_chunks(self, lang: str = DEFAULT_LANGUAGE) -> Iterator[bytes]:
        """A zip for people, in ``lang``: ``README.txt``, one CSV file per category (per kind
        of record when a category holds several, :mod:`gardien.services.export_sheets`) with
        labelled columns, and ``export.json``, the complete export; written and handed out
        piece by piece."""
        cells = Cells(lang)
        found = sheets(self.envelope, cells, self._statement_dicts, self._module_activities())
        sink = _Sink()
        large = sum(stream.count for stream in self.streams) > _ZIP64_STATEMENTS
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            with archive.open(_entry(README_NAME), "w") as entry:
                entry.write(_BOM + readme(self.envelope, found, cells).encode("utf-8"))
            for sheet in found:
                with archive.open(_entry(sheet.name), "w", force_zip64=large) as entry:
                    entry.write(_BOM + csv_bytes([sheet.header], lang))
                    for rows in sheet.rows():
                        entry.write(csv_bytes(rows, lang))
                        yield from sink.drain()
            with archive.open(_entry(JSON_NAME), "w", force_zip64=large) as entry:
                for chunk in self.json_chunks():
                    entry.write(chunk)
                    yield from sink.drain()
        yield from sink.drain()

    def _module_activities(self) -> dict[str, str]:
        """The catalogue's modules by their xAPI activity: what a person calls an activity."""
        if not self.streams and not any(
            record.get("record") == "activity_statement"
            for category in self.envelope["categories"]
            for record in category["records"]
            if isinstance(record, dict)
        ):
            return {}
        query = select(
            learning_module.c.activity_id, learning_path.c.title, learning_module.c.title
        )
        query = query.join_from(learning_module, learning_path).where(
            learning_module.c.activity_id.is_not(None)
        )
        return {
            activity: f"{path} — {module}"
            for activity, path, module in self._connection.execute(query)
        }

    def _statement_dicts(self, stream: StatementStream) -> Iterator[list[dict[str, Any]]]:
        """The stream's statements in batches, as records' ``fields`` and ``context`` (the
        statement's JSON left as text: the sheet reads only what it shows)."""
        clients = client_names(self._connection)
        for batch in stream_statements(self._connection, stream.learner_id):
            yield [
                {
                    "fields": {
                        name: _BOOL[value] if name in _BOOLEAN_FIELDS else value
                        for name, value in zip(STATEMENT_FIELDS, row, strict=False)
                    },
                    "context": {"client": clients.get(row[11]), "voided": _BOOL[row[10]]},
                }
                for row in batch
            ]


# Booleans as drivers give them (SQLite: 0 and 1), as JSON wants them.
_BOOL: dict[Any, bool | None] = {None: None, 0: False, 1: True}
_BOOLEAN_FIELDS = frozenset({"result_completion", "result_success"})
_BOM = "\ufeff".encode()  # lets spreadsheets read accents


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

"""Set-based reads and writes for bulk loads: chunked ``IN`` look-ups and DBAPI ``executemany``.

Imports move millions of rows; building one SQLAlchemy parameter dictionary per row, and letting
the type system convert each value, costs more than the database itself. So this module writes
through the raw DBAPI cursor of the unit of work's connection (same transaction), with values
already in the form the driver stores. :class:`Codec` makes that form; a test checks it agrees
with what SQLAlchemy's own column types would bind, so rows written here read back like any other.
Reads stay on SQLAlchemy Core, which gives values back in their Python form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any, TypeVar

import orjson
from sqlalchemy import JSON, Column, Connection, Date, Enum, Integer, String, Table, select
from sqlalchemy.exc import DBAPIError

from gardien.errors import BusyError, StatementTimeoutError
from gardien.store.engine import TIMED_OUT, is_busy, is_timed_out
from gardien.store.types import UTCDateTime
from gardien.store.write_gate import BUSY

T = TypeVar("T")

# Bound parameters per look-up: under SQLite's historical limit of 999 variables.
LOOKUP_CHUNK = 900
# Rows per executemany call: bounds memory and gives progress reports a rhythm.
WRITE_CHUNK = 20_000

Encoder = Callable[[Any], Any]


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Successive lists of at most ``size`` items."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _sqlite_instant(value: datetime | None) -> str | None:
    # SQLAlchemy's SQLite DATETIME storage format (UTC, always six decimals): instants are
    # compared as strings in SQL, so any other spelling would sort wrongly.
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given for an instant")
    text = value.isoformat(" ", "microseconds")
    # Most instants arrive in UTC already: one isoformat call instead of three conversions.
    if text.endswith("+00:00"):
        return text[:-6]
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_instant_and_text(value: datetime) -> tuple[str, str]:
    text = value.isoformat()
    if text.endswith("+00:00") and len(text) in (25, 32):
        # "2024-01-31T10:00:00[.123456]+00:00": both spellings from one isoformat call.
        stored = f"{text[:10]} {text[11:19]}{text[19:26] if len(text) == 32 else '.000000'}"
        return stored, text
    other = _sqlite_instant(value)
    assert other is not None
    return other, text


def _utc_and_text(value: datetime) -> tuple[datetime, str]:
    return value.astimezone(UTC), value.isoformat()


def _sqlite_day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _identity(value: Any) -> Any:
    return value


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _plain(column: Column[Any]) -> bool:
    """True when the driver gives this column's values back as SQLAlchemy would."""
    return isinstance(column.type, Integer | String) and not isinstance(column.type, Enum)


class Codec:
    """Turns Python values into what the driver stores, for one dialect."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        sqlite = dialect == "sqlite"
        self.instant: Callable[[datetime | None], Any] = _sqlite_instant if sqlite else _utc
        self.day: Callable[[date | None], Any] = _sqlite_day if sqlite else _identity
        self.json: Callable[[Any], str | None] = _json_text
        # An instant for the database and as ISO 8601 text, for rows that hold both.
        self.instant_and_text: Callable[[datetime], tuple[Any, str]] = (
            _sqlite_instant_and_text if sqlite else _utc_and_text
        )

    def encoder(self, column: Column[Any]) -> Encoder | None:
        """The conversion a column's values need, or None when the driver takes them as they are."""
        kind = column.type
        if isinstance(kind, UTCDateTime):
            return self.instant
        if isinstance(kind, Date):
            return self.day
        if isinstance(kind, JSON):
            return self.json
        return None


class Bulk:
    """Bulk operations on the open transaction of ``connection``."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name
        self.codec = Codec(self.dialect)
        self._placeholder = "?" if self.dialect == "sqlite" else "%s"

    # -- reads -------------------------------------------------------------------------------

    def is_empty(self, table: Table) -> bool:
        """True when ``table`` has no row (lets a first load skip every look-up)."""
        first = self.connection.execute(select(table.c[next(iter(table.c.keys()))]).limit(1))
        return first.first() is None

    def rows_where_in(
        self, table: Table, columns: Sequence[str], column: str, values: Iterable[Any]
    ) -> Iterator[Sequence[Any]]:
        """Rows of ``table`` (only ``columns``) whose ``column`` is one of ``values``, chunked.

        Values come back in their Python form (aware datetimes, dates, parsed JSON).
        """
        if all(_plain(table.c[name]) for name in (*columns, column)):
            yield from self._plain_rows_where_in(table, columns, column, values)
            return
        selected = [table.c[name] for name in columns]
        for chunk in chunked(dict.fromkeys(values), LOOKUP_CHUNK):
            yield from self.connection.execute(select(*selected).where(table.c[column].in_(chunk)))

    def _plain_rows_where_in(
        self, table: Table, columns: Sequence[str], column: str, values: Iterable[Any]
    ) -> Iterator[Sequence[Any]]:
        # Integers and strings read the same through the driver: skip SQLAlchemy's result
        # machinery, which costs more than the query when a look-up returns 100,000 ids.
        names = ", ".join(self._quote(name) for name in columns)
        head = f"SELECT {names} FROM {self._quote(table.name)} WHERE {self._quote(column)} IN "
        for chunk in chunked(dict.fromkeys(values), LOOKUP_CHUNK):
            marks = ", ".join(self._placeholder for _ in chunk)
            yield from self.fetch(f"{head}({marks})", chunk)

    def one_of(self, kind: str) -> str:
        """SQL testing a value against a list passed as one parameter (:meth:`listed`), of
        ``kind`` ``text`` or ``bigint``: on SQLite ``IN`` the rows of ``json_each``, on
        PostgreSQL ``= ANY`` of an array. One text whatever the list's length, so the driver
        keeps it prepared (SQLite's statement cache) and nothing is compiled per call."""
        if self.dialect == "sqlite":
            return "IN (SELECT value FROM json_each(?))"
        return f"= ANY(%s::{kind}[])"

    def listed(self, values: Iterable[Any]) -> Any:
        """``values`` as the one parameter of :meth:`one_of`."""
        if self.dialect == "sqlite":
            return orjson.dumps(list(values)).decode()
        return list(values)

    def fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The rows of ``sql`` (driver SQL, driver values) in the current transaction; for
        the hot look-ups of ingest, whose columns the driver reads as SQLAlchemy would. Like
        the writes here, it runs without SQLite's statement deadline (store/engine.py): keep
        it to look-ups by index."""
        cursor = self._dbapi_connection().cursor()
        try:
            with self._driver_errors(sql):
                cursor.execute(sql, params)
                return list(cursor.fetchall())
        finally:
            cursor.close()

    # -- writes ------------------------------------------------------------------------------

    def encoders(self, table: Table, columns: Sequence[str]) -> list[Encoder | None]:
        """One encoder per column (None where no conversion is needed)."""
        return [self.codec.encoder(table.c[name]) for name in columns]

    def encode(
        self, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> list[tuple[Any, ...]]:
        """Rows of Python values turned into driver values (for modest row counts)."""
        encoders = self.encoders(table, columns)
        if not any(encoders):
            return [tuple(row) for row in rows]
        plan = [encoder or _identity for encoder in encoders]
        return [tuple(f(v) for f, v in zip(plan, row, strict=True)) for row in rows]

    def _marker(self, column: Column[Any]) -> str:
        # psycopg sends str as text, which PostgreSQL will not put in a jsonb column uncast.
        if self.dialect == "postgresql" and isinstance(column.type, JSON):
            return f"CAST({self._placeholder} AS JSONB)"
        return self._placeholder

    def insert_sql(self, table: Table, columns: Sequence[str]) -> str:
        """``INSERT INTO table (columns) VALUES (...)`` in the driver's parameter style."""
        names = ", ".join(self._quote(name) for name in columns)
        markers = ", ".join(self._marker(table.c[name]) for name in columns)
        return f"INSERT INTO {self._quote(table.name)} ({names}) VALUES ({markers})"

    def update_sql(self, table: Table, columns: Sequence[str], key: str = "id") -> str:
        """``UPDATE table SET columns WHERE key = ...``; each row ends with the key's value."""
        assignments = ", ".join(
            f"{self._quote(name)} = {self._marker(table.c[name])}" for name in columns
        )
        return (
            f"UPDATE {self._quote(table.name)} SET {assignments} "
            f"WHERE {self._quote(key)} = {self._placeholder}"
        )

    def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """Run ``sql`` once per row, in chunks, in the current transaction; rows affected."""
        count = 0
        for chunk in chunked(rows, WRITE_CHUNK):
            count += self.execute_chunk(sql, chunk)
        return count

    def execute_chunk(self, sql: str, chunk: Sequence[Sequence[Any]]) -> int:
        """One ``executemany`` of ``chunk``; DBAPI errors come back as SQLAlchemy's."""
        if not chunk:
            return 0
        cursor = self._dbapi_connection().cursor()
        try:
            with self._driver_errors(sql):
                cursor.executemany(sql, chunk)
            return len(chunk)
        finally:
            cursor.close()

    def insert_rows(
        self, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> int:
        """Insert ``rows`` (driver values, in ``columns``' order) into ``table``: on PostgreSQL
        with ``COPY``, which costs the server and this process about half of as many INSERTs
        (docs/performance.md); elsewhere one ``executemany``. Errors as :meth:`execute_chunk`'s."""
        if self.dialect != "postgresql":
            return self.execute_chunk(self.insert_sql(table, columns), rows)
        if not rows:
            return 0
        names = ", ".join(self._quote(name) for name in columns)
        sql = f"COPY {self._quote(table.name)} ({names}) FROM STDIN"
        cursor = self._dbapi_connection().cursor()
        try:
            with self._driver_errors(sql), cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
            return len(rows)
        finally:
            cursor.close()

    @contextmanager
    def _driver_errors(self, sql: str) -> Iterator[None]:
        """The driver's errors as SQLAlchemy's, or gardien's for a lock or a timeout."""
        dbapi = self.connection.dialect.loaded_dbapi
        try:
            yield
        except dbapi.Error as exc:
            if is_busy(exc):  # a lock not granted within the engine's wait, as anywhere else
                raise BusyError(BUSY) from exc
            if is_timed_out(exc):  # past the engine's statement timeout, as anywhere else
                raise StatementTimeoutError(TIMED_OUT) from exc
            # The same exception classes as anywhere else in SQLAlchemy, so callers catch one kind.
            raise DBAPIError.instance(
                sql, None, exc, dbapi.Error, hide_parameters=True, dialect=self.connection.dialect
            ) from exc

    def _dbapi_connection(self) -> Any:
        # The driver's own connection, inside the transaction the unit of work opened.
        connection = self.connection.connection.dbapi_connection
        assert connection is not None
        return connection

    def _quote(self, name: str) -> str:
        return self.connection.dialect.identifier_preparer.quote(name)

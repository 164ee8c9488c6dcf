"""Throttle counters in SQL: one atomic upsert per hit, the same on SQLite and PostgreSQL.

:func:`hit` is :func:`gardien.domain.throttle.hit` done by the database, so that every worker
process counts on the same row: ``INSERT ... ON CONFLICT (key_hash) DO UPDATE ... RETURNING``
counts the hit (or leaves a blocked row as it is) and returns the row; the block the rule sets
is then written by a second statement of the same transaction. On PostgreSQL the upsert locks
the row until the commit, so a concurrent hit waits and then sees the block; on SQLite the
caller's write transaction (``BEGIN IMMEDIATE``) already serialises writers.

Callers run these in their own short write transaction, off the event loop.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, delete, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from gardien.domain.throttle import Counter, FixedWindow, Rule, Verdict, retry_after
from gardien.store.tables import throttle_counter
from gardien.store.types import UTCDateTime

_row = throttle_counter.c


def _instant(value: datetime) -> Any:
    return literal(value, UTCDateTime())


def _insert(connection: Connection) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(throttle_counter)


def hit(connection: Connection, key: str, rule: Rule, now: datetime) -> Verdict:
    """Count one hit on counter ``key`` under ``rule`` at ``now``, or refuse it while blocked."""
    blocked = _row.blocked_until.is_not(None) & (_row.blocked_until > _instant(now))
    lapsed = _row.window_start <= _instant(now - rule.window)
    statement = (
        _insert(connection)
        .values(
            key_hash=key,
            window_start=now,
            hits=1,
            blocked_until=None,
            expires_at=now + rule.window,
        )
        .on_conflict_do_update(
            index_elements=[_row.key_hash],
            set_={
                "hits": case((blocked, _row.hits), (lapsed, 1), else_=_row.hits + 1),
                "window_start": case(
                    (blocked, _row.window_start), (lapsed, _instant(now)), else_=_row.window_start
                ),
                "blocked_until": case((blocked, _row.blocked_until), else_=None),
                "expires_at": case(
                    (blocked, _row.expires_at),
                    (lapsed, _instant(now + rule.window)),
                    else_=_row.expires_at,
                ),
            },
        )
        .returning(_row.hits, _row.window_start, _row.blocked_until, _row.expires_at)
    )
    row = connection.execute(statement).one()
    counter = Counter(row.hits, row.window_start, row.blocked_until)
    if counter.blocked_at(now):
        assert counter.blocked_until is not None
        return Verdict(False, retry_after(counter.blocked_until, now), counter)
    until = rule.blocked_until(counter.hits, counter.window_start, now)
    if until is not None:
        counter = Counter(counter.hits, counter.window_start, until)
        connection.execute(
            update(throttle_counter)
            .where(_row.key_hash == key)
            .values(blocked_until=until, expires_at=max(row.expires_at, until))
        )
    return Verdict(True, 0, counter)


def release(connection: Connection, key: str, rule: FixedWindow, window_start: datetime) -> None:
    """Take back one hit of the window that opened at ``window_start`` (a try that succeeded).

    A window that has closed and opened again since is left alone: the hit is not in it.
    """
    remaining = _row.hits - 1
    connection.execute(
        update(throttle_counter)
        .where(_row.key_hash == key, _row.window_start == _instant(window_start), _row.hits > 0)
        .values(
            hits=remaining,
            blocked_until=case((remaining >= rule.limit, _row.blocked_until), else_=None),
        )
    )


def clear(connection: Connection, key: str) -> None:
    """Forget counter ``key`` (a sign-in succeeded: its pair starts again from nothing)."""
    connection.execute(delete(throttle_counter).where(_row.key_hash == key))


def read(connection: Connection, key: str) -> Counter | None:
    """Counter ``key`` as stored, or None."""
    row = connection.execute(
        select(_row.hits, _row.window_start, _row.blocked_until).where(_row.key_hash == key)
    ).one_or_none()
    return None if row is None else Counter(row.hits, row.window_start, row.blocked_until)

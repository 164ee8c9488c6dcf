"""The bulk codec writes values exactly as SQLAlchemy's column types would bind them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite

from gardien.store.bulk import Codec
from gardien.store.tables import contract, learner

INSTANTS = [
    datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2024, 1, 2, 3, 4, 5, 123, tzinfo=UTC),
    datetime(2024, 1, 2, 3, 4, 5, 999999, tzinfo=timezone(timedelta(hours=2))),
    datetime(999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
]


@pytest.mark.parametrize("instant", INSTANTS)
def test_sqlite_instants_match_sqlalchemy(instant: datetime) -> None:
    bind = learner.c.created_at.type._cached_bind_processor(sqlite.dialect())
    assert bind is not None
    codec = Codec("sqlite")
    assert codec.instant(instant) == bind(instant)
    stored, text = codec.instant_and_text(instant)
    assert stored == bind(instant)
    assert text == instant.isoformat()


def test_sqlite_days_match_sqlalchemy() -> None:
    bind = contract.c.signed_on.type._cached_bind_processor(sqlite.dialect())
    assert bind is not None
    assert Codec("sqlite").day(date(2024, 2, 29)) == bind(date(2024, 2, 29))


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        Codec("sqlite").instant(datetime(2024, 1, 1))


def test_postgresql_instants_stay_datetimes_in_utc() -> None:
    codec = Codec("postgresql")
    instant = INSTANTS[2]
    assert codec.instant(instant) == instant
    assert codec.instant(instant).tzinfo == UTC  # type: ignore[union-attr]
    assert codec.day(date(2024, 1, 1)) == date(2024, 1, 1)
    assert codec.json({"a": [1, 2]}) == '{"a":[1,2]}'
    assert codec.json(None) is None

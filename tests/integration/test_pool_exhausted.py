"""A request that finds every connection of the pool in use waits as long as for a lock, then
gets :class:`~gardien.errors.BusyError` (the web's 503), not SQLAlchemy's TimeoutError (a 500)
after its own 30 s (store/engine.py, ``WaitingPool``; docs/busy.md)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from gardien.errors import BusyError
from gardien.store.engine import POOL_EXHAUSTED, make_engine


def test_a_full_pool_is_busy_after_the_write_wait_then_serves_again(database_url: str) -> None:
    engine = make_engine(database_url, write_wait=0.4, pool_size=1, max_overflow=0)
    try:
        holder = engine.connect()
        started = time.monotonic()
        with pytest.raises(BusyError) as refused:
            engine.connect()
        waited = time.monotonic() - started
        assert str(refused.value) == POOL_EXHAUSTED
        assert 0.35 <= waited < 10  # the budget, not SQLAlchemy's 30 s
        holder.close()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()

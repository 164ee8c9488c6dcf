"""Throttle counters in the database (``store/throttle.py``), on SQLite and PostgreSQL.

The SQL upsert must do exactly what the domain's reference transition says, hit after hit; hits
sent at the same moment from many connections must each be counted once (the limit is reached
once, never passed); the sweep deletes a counter the day after it lapses.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, select

from gardien.domain import throttle as domain
from gardien.domain.throttle import Counter, FixedWindow, GrowingDelay, Rule, Verdict
from gardien.store import throttle
from gardien.store.tables import throttle_counter
from gardien.store.uow import UnitOfWork
from tests.support.retention_samples import rule, run_sweep
from tests.support.threads import run_together

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
KEY = "a" * 64


def _hit(engine: Engine, key: str, rule_: Rule, now: datetime) -> Verdict:
    with UnitOfWork(engine, write=True) as uow:
        verdict = throttle.hit(uow.connection, key, rule_, now)
        uow.commit()
    return verdict


def _stored(engine: Engine, key: str) -> tuple[Counter | None, datetime | None]:
    with engine.connect() as connection:
        counter = throttle.read(connection, key)
        expires = connection.execute(
            select(throttle_counter.c.expires_at).where(throttle_counter.c.key_hash == key)
        ).scalar_one_or_none()
    return counter, expires


def test_the_database_counts_hit_after_hit_as_the_domain_says(engine: Engine) -> None:
    rules: dict[str, Rule] = {
        "b" * 64: GrowingDelay(),
        "c" * 64: FixedWindow(limit=4, window=timedelta(minutes=10)),
        "d" * 64: GrowingDelay(free=1, cap=timedelta(minutes=1), window=timedelta(minutes=5)),
    }
    expected: dict[str, Counter | None] = dict.fromkeys(rules)
    rng, now = random.Random(15), T0
    for _ in range(150):
        now += timedelta(seconds=rng.choice([0, 0, 0.4, 1, 3, 20, 90, 400]))
        key = rng.choice(list(rules))
        want = domain.hit(rules[key], expected[key], now)
        got = _hit(engine, key, rules[key], now)
        assert got == want, (key, now)
        expected[key] = want.counter
        stored, expires = _stored(engine, key)
        assert stored == want.counter
        assert expires == want.counter.expires_at(rules[key])


def test_a_success_gives_back_its_hit_and_a_sign_in_success_clears_the_pair(
    engine: Engine,
) -> None:
    capped = FixedWindow(limit=2, window=timedelta(minutes=10))
    _hit(engine, KEY, capped, T0)
    second = _hit(engine, KEY, capped, T0 + timedelta(seconds=1))
    assert second.counter.blocked_until == T0 + timedelta(minutes=10)
    with UnitOfWork(engine, write=True) as uow:
        throttle.release(uow.connection, KEY, capped, T0)
        uow.commit()
    assert _stored(engine, KEY)[0] == Counter(1, T0, None)
    # A hit of a window that has closed since is not taken from the new one.
    later = T0 + timedelta(hours=1)
    _hit(engine, KEY, capped, later)
    with UnitOfWork(engine, write=True) as uow:
        throttle.release(uow.connection, KEY, capped, T0)
        throttle.clear(uow.connection, "e" * 64)  # an absent counter: nothing to do
        uow.commit()
    assert _stored(engine, KEY)[0] == Counter(1, later, None)
    with UnitOfWork(engine, write=True) as uow:
        throttle.clear(uow.connection, KEY)
        uow.commit()
    assert _stored(engine, KEY) == (None, None)


def test_hits_at_the_same_moment_reach_the_limit_once(engine: Engine) -> None:
    rules: list[tuple[str, Rule, int, datetime]] = [
        (
            "f" * 64,
            FixedWindow(limit=5, window=timedelta(minutes=10)),
            5,
            T0 + timedelta(minutes=10),
        ),
        # Three free failures, then a wait of a second.
        ("0" * 64, GrowingDelay(), 3, T0 + timedelta(seconds=1)),
    ]
    for key, rule_, allowed, blocked_until in rules:
        verdicts: list[Verdict] = []

        def job(key: str = key, rule_: Rule = rule_, verdicts: list[Verdict] = verdicts) -> None:
            verdicts.append(_hit(engine, key, rule_, T0))

        run_together(*[job] * 12)
        assert len(verdicts) == 12
        assert sum(v.allowed for v in verdicts) == allowed, key
        refused = {v.retry_after for v in verdicts if not v.allowed}
        assert refused == {domain.retry_after(blocked_until, T0)}
        assert _stored(engine, key)[0] == Counter(allowed, T0, blocked_until)


def test_the_sweep_deletes_a_counter_the_day_after_it_lapses(engine: Engine) -> None:
    hour = FixedWindow(limit=1, window=timedelta(hours=1))
    long_wait = GrowingDelay(free=0, base=timedelta(days=2), cap=timedelta(days=2))
    _hit(engine, "1" * 64, hour, datetime(2026, 6, 1, 22, 30, tzinfo=UTC))  # lapses on 1 June
    _hit(engine, "2" * 64, hour, datetime(2026, 6, 1, 23, 30, tzinfo=UTC))  # ... on 2 June
    _hit(engine, "3" * 64, long_wait, datetime(2026, 6, 1, 9, 0, tzinfo=UTC))  # ... on 3 June

    def left() -> set[str]:
        with engine.connect() as connection:
            keys = connection.execute(select(throttle_counter.c.key_hash)).scalars()
            return {key[0] for key in keys}

    assert rule(run_sweep(engine, date(2026, 6, 1)), "throttle_counters").expired == 0
    assert rule(run_sweep(engine, date(2026, 6, 2)), "throttle_counters").expired == 1
    assert left() == {"2", "3"}
    run_sweep(engine, date(2026, 6, 3))
    assert left() == {"3"}
    run_sweep(engine, date(2026, 6, 4))
    assert left() == set()

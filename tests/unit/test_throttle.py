"""Throttling arithmetic (``domain/throttle.py``), driven by an injected clock: no sleeping.

The clock is a plain instant the test moves forward; every function takes ``now``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gardien.domain.throttle import (
    Counter,
    FixedWindow,
    GrowingDelay,
    KnownDevices,
    ThrottleKeys,
    hit,
    release,
    retry_after,
)

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
PAIR = GrowingDelay()  # 3 free, then 1 s, 2 s, 4 s ..., at most 15 min, 24 h window


class Clock:
    """An injected clock: the test moves it, nothing reads the system time."""

    def __init__(self) -> None:
        self.now = T0

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def test_the_delay_is_free_for_three_failures_then_doubles_up_to_fifteen_minutes() -> None:
    delays = [PAIR.delay(n).total_seconds() for n in range(16)]
    assert delays == [0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    # A count no attacker reaches in practice still gives the cap, without overflow.
    assert PAIR.delay(10**9) == timedelta(minutes=15)


def test_after_three_failures_each_try_waits_2_to_the_n_minus_3_seconds() -> None:
    clock, counter = Clock(), None
    waits = []
    for _ in range(8):
        verdict = hit(PAIR, counter, clock.now)
        assert verdict.allowed
        counter = verdict.counter
        refused = hit(PAIR, counter, clock.now)
        if counter.blocked_until is None:
            assert refused.allowed  # nothing to wait for yet
            waits.append(0)
            continue
        assert not refused.allowed
        # A refused try is not counted: the count stays, the wait does not grow.
        assert refused.counter == counter
        waits.append(refused.retry_after)
        clock.advance(seconds=refused.retry_after - 0.5)
        assert not hit(PAIR, counter, clock.now).allowed  # half a second too early
        clock.advance(seconds=0.5)
    assert waits == [0, 0, 1, 2, 4, 8, 16, 32]


def test_a_wait_outlives_the_window_and_a_closed_window_starts_again() -> None:
    rule = GrowingDelay(free=1, base=timedelta(hours=1), cap=timedelta(hours=2),
                        window=timedelta(minutes=30))  # fmt: skip
    first = hit(rule, None, T0).counter
    assert first.blocked_until == T0 + timedelta(hours=1)
    # The window closed after 30 minutes, but the hour's wait still holds.
    late = hit(rule, first, T0 + timedelta(minutes=45))
    assert not late.allowed and late.retry_after == 15 * 60
    # Once both are over, counting starts again from one.
    again = hit(rule, first, T0 + timedelta(hours=1))
    assert again.allowed and again.counter.hits == 1
    assert again.counter.window_start == T0 + timedelta(hours=1)


def test_a_fixed_window_allows_its_limit_then_refuses_until_it_closes() -> None:
    rule, clock, counter = FixedWindow(limit=3, window=timedelta(hours=1)), Clock(), None
    for n in range(1, 4):
        verdict = hit(rule, counter, clock.now)
        assert verdict.allowed and verdict.counter.hits == n
        counter = verdict.counter
        clock.advance(minutes=10)
    assert counter is not None and counter.blocked_until == T0 + timedelta(hours=1)
    refused = hit(rule, counter, clock.now)  # 30 minutes in
    assert not refused.allowed and refused.retry_after == 30 * 60
    clock.advance(minutes=30)
    reopened = hit(rule, counter, clock.now)
    assert reopened.allowed and reopened.counter == Counter(1, clock.now, None)


def test_a_success_gives_back_its_hit_and_the_block_it_set() -> None:
    rule = FixedWindow(limit=2, window=timedelta(minutes=10))
    first = hit(rule, None, T0).counter
    second = hit(rule, first, T0).counter
    assert second.blocked_until == T0 + timedelta(minutes=10)
    given_back = release(rule, second)
    assert given_back == Counter(1, T0, None)
    assert hit(rule, given_back, T0).allowed
    assert release(rule, Counter(0, T0)).hits == 0  # never below zero


def test_expiry_is_the_later_of_the_window_end_and_the_wait() -> None:
    rule = FixedWindow(limit=5, window=timedelta(hours=1))
    assert Counter(1, T0).expires_at(rule) == T0 + timedelta(hours=1)
    assert Counter(1, T0, T0 + timedelta(hours=3)).expires_at(rule) == T0 + timedelta(hours=3)


def test_retry_after_rounds_up_and_is_at_least_one_second() -> None:
    assert retry_after(T0 + timedelta(seconds=1.2), T0) == 2
    assert retry_after(T0 + timedelta(microseconds=1), T0) == 1
    assert retry_after(T0, T0) == 1


@pytest.mark.parametrize(
    "make",
    [
        lambda: FixedWindow(limit=0, window=timedelta(minutes=1)),
        lambda: FixedWindow(limit=1, window=timedelta(0)),
        lambda: GrowingDelay(free=-1),
        lambda: GrowingDelay(base=timedelta(0)),
        lambda: GrowingDelay(base=timedelta(minutes=2), cap=timedelta(minutes=1)),
        lambda: GrowingDelay(window=timedelta(0)),
    ],
)
def test_nonsense_rules_are_refused(make: object) -> None:
    assert callable(make)
    with pytest.raises(ValueError):
        make()


def test_counter_names_are_keyed_hashes_that_cannot_collide() -> None:
    keys = ThrottleKeys("a-secret-of-this-test")
    name = keys.of("sign-in", "ana@example.org", "network", "192.0.2.7")
    assert len(name) == 64 and int(name, 16) >= 0
    assert "ana" not in name and "192" not in name
    assert name == ThrottleKeys("a-secret-of-this-test").of(
        "sign-in", "ana@example.org", "network", "192.0.2.7"
    )
    # Another secret, another name: the hashes cannot be recomputed without the key.
    assert name != ThrottleKeys("another-secret").of(
        "sign-in", "ana@example.org", "network", "192.0.2.7"
    )
    # Parts are encoded, not glued: moving a separator never names the same counter.
    assert keys.of("form", "a|b", "c") != keys.of("form", "a", "b|c")
    assert keys.of("form", "a", "b") != keys.of("form", "a b")
    assert "secret" not in repr(keys)
    with pytest.raises(ValueError):
        ThrottleKeys("")


def test_a_known_device_token_holds_for_its_address_only_and_for_its_lifetime() -> None:
    devices = KnownDevices("a-secret-of-this-test", lifetime=timedelta(days=180))
    token = devices.issue("Zm9vYmFy", "DPO@example.org ", T0)
    assert "example" not in token and "dpo" not in token.lower()
    assert devices.device_of(token, "dpo@example.org", T0 + timedelta(days=179)) == "Zm9vYmFy"
    assert devices.device_of(token, "ana@example.org", T0) is None  # another address
    assert devices.device_of(token, "dpo@example.org", T0 + timedelta(days=181)) is None
    assert KnownDevices("another-secret").device_of(token, "dpo@example.org", T0) is None
    device, issued, mac = token.split(".")
    forged = [
        f"other.{issued}.{mac}",
        f"{device}.{int(issued) + 86400}.{mac}",
        f"{device}.{issued}.{mac[:-1]}A" if not mac.endswith("A") else f"{device}.{issued}.x",
        "",
        "no-dots",
        "a.b.c",
        "x" * 500,
        "é.1.2",
    ]
    assert [devices.device_of(text, "dpo@example.org", T0) for text in forged] == [None] * 8
    assert devices.device_of(None, "dpo@example.org", T0) is None
    with pytest.raises(ValueError):
        devices.issue("with.dot", "dpo@example.org", T0)

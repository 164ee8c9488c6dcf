"""The forms' rate limiter: a sliding window per key, bounded memory, no key kept in clear."""

from __future__ import annotations

import pytest

from gardien.errors import TooManyRequestsError
from gardien.web.ratelimit import RateLimiter


class Timer:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_holds_per_key_and_frees_up_as_the_window_slides() -> None:
    timer = Timer()
    limiter = RateLimiter(limit=2, window=60, timer=timer)
    limiter.hit("a")
    timer.now += 10
    limiter.hit("a")
    limiter.hit("b")  # another key has its own count
    with pytest.raises(TooManyRequestsError) as caught:
        limiter.hit("a")
    assert caught.value.retry_after == 50
    timer.now += 50  # the first hit leaves the window
    limiter.hit("a")


def test_memory_is_bounded_and_keys_are_not_kept_in_clear() -> None:
    limiter = RateLimiter(limit=1, window=60, max_keys=3, timer=Timer())
    for key in ("ana@example.org", "b", "c", "d"):
        limiter.hit(key)
    assert len(limiter._hits) == 3
    assert all(b"ana" not in key for key in limiter._hits)
    limiter.hit("ana@example.org")  # the oldest key was forgotten


@pytest.mark.parametrize(("limit", "window"), [(0, 60), (1, 0)])
def test_nonsense_limits_are_refused(limit: int, window: float) -> None:
    with pytest.raises(ValueError):
        RateLimiter(limit=limit, window=window)

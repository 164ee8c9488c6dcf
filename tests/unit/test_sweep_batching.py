"""Batch sizing of the sweep: fixed, or fitted to a time budget within bounds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gardien.services.batching import FIRST_ADAPTIVE_BATCH, BatchSizing

sizes = st.integers(min_value=1, max_value=100_000)
seconds = st.floats(min_value=0.0, max_value=60.0, allow_nan=False)
budgets = st.floats(min_value=0.01, max_value=10.0, allow_nan=False)


def test_without_a_budget_every_batch_has_the_fixed_size() -> None:
    sizing = BatchSizing(250)
    assert sizing.first() == 250
    assert sizing.following(250, 0.001) == 250
    assert sizing.following(250, 99.0) == 250


def test_with_a_budget_the_first_batch_is_small() -> None:
    assert BatchSizing(20_000, 0.5).first() == FIRST_ADAPTIVE_BATCH
    assert BatchSizing(10, 0.5).first() == 10


@given(maximum=sizes, budget=budgets, size=sizes, took=seconds)
def test_the_next_size_stays_within_bounds_and_moves_by_at_most_twice(
    maximum: int, budget: float, size: int, took: float
) -> None:
    size = min(size, maximum)
    following = BatchSizing(maximum, budget).following(size, took)
    assert 1 <= following <= maximum
    assert following <= 2 * size
    assert following >= min(maximum, (size + 1) // 2)


@given(maximum=sizes, budget=budgets, size=sizes)
def test_a_fast_batch_grows_and_a_slow_one_shrinks(maximum: int, budget: float, size: int) -> None:
    size = min(size, maximum)
    sizing = BatchSizing(maximum, budget)
    assert sizing.following(size, budget / 4) == min(maximum, 2 * size)
    assert sizing.following(size, budget * 4) == max(1, (size + 1) // 2)


def test_the_size_settles_where_a_batch_lasts_the_budget() -> None:
    # A machine that erases 10,000 records a second: half a second is 5,000 records.
    sizing = BatchSizing(20_000, 0.5)
    size = sizing.first()
    for _ in range(12):
        size = sizing.following(size, size / 10_000)
    assert size == 5_000


@pytest.mark.parametrize(("maximum", "budget"), [(0, None), (10, 0.0), (10, -1.0)])
def test_nonsense_is_refused(maximum: int, budget: float | None) -> None:
    with pytest.raises(ValueError):
        BatchSizing(maximum, budget)

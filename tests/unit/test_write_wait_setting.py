"""GARDIEN_WRITE_WAIT_SECONDS: a web request's budget for a lock (docs/busy.md)."""

from __future__ import annotations

import pytest

from gardien.errors import ConfigurationError
from gardien.settings import Settings


def test_the_default_budget_is_two_seconds() -> None:
    assert Settings().check().write_wait_seconds == 2.0


@pytest.mark.parametrize("seconds", [0, -1, 61])
def test_a_budget_that_cannot_work_is_refused(seconds: float) -> None:
    with pytest.raises(ConfigurationError, match="GARDIEN_WRITE_WAIT_SECONDS"):
        Settings(write_wait_seconds=seconds).check()

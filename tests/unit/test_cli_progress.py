"""The progress bar stays silent when stderr is not a terminal (CI logs, pipes)."""

from __future__ import annotations

import pytest

from gardien.cli.progress import progress_bar


def test_progress_bar_is_silent_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar() as report:
        report("statements", 0, 100)
        report("statements", 50, 100)
        report("statements", 100, 100)
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == ""

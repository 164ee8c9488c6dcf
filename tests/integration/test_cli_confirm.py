"""A confirmation answered "no" ends a command with one line, not a traceback."""

from __future__ import annotations

import io
import sys

import pytest

from gardien.cli.main import main


class _Terminal(io.StringIO):
    """Standard input as a person at a terminal types it."""

    def isatty(self) -> bool:
        return True


def test_erasure_answered_no_is_aborted_in_one_line(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", _Terminal("n\n"))
    argv = ["--database-url", database_url, "subject", "erase", "--email", "a@example.org"]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "Erase everything held about a@example.org?" in captured.out
    assert captured.err == "aborted\n"

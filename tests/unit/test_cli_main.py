"""Usage errors are one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import pytest

from gardien.cli.main import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["forecast"], "gardien: Missing option '--until'."),
        (["nonsense"], "gardien: No such command 'nonsense'."),
        (["sweep", "--batch-size", "x"], "gardien: Invalid value for '--batch-size'"),
        (["import"], "gardien: Missing argument 'file'."),
    ],
)
def test_usage_errors_are_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(message)
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_a_message_quoting_input_escapes_its_control_characters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    forged = "/nowhere/policy\r\nERROR: forged second line\x1b[2J.yaml"
    assert main(["--policy", forged, "policy", "show"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        "gardien: /nowhere/policy\\r\\nERROR: forged second line\\x1b[2J.yaml:"
        " no such policy file\n"
    )
    assert captured.out == ""

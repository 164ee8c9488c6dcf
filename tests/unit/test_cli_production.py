"""In production every command refuses a weak secret key: exit 2, one line, no traceback.

The commands are found by walking the command line itself, so a command added tomorrow is
checked too. ``check-config`` is the exception: saying what is wrong is its purpose.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import typer
from typer.core import TyperGroup

from gardien.cli.main import REPORTS_ON_SETTINGS, app, main
from gardien.settings import DEFAULT_SECRET

STRONG = "9Khh5BRCD5exksux6gARMIykS6OxkF84vEfifr6PNhg"  # secrets.token_urlsafe(32)


def _leaves(group: TyperGroup, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        if isinstance(command, TyperGroup):
            yield from _leaves(command, (*path, name))
        else:
            yield (*path, name)


COMMANDS = sorted(_leaves(typer.main.get_group(app)))
# What a production operator could have left in GARDIEN_SECRET_KEY (None: nothing at all).
WEAK = {"missing": None, "empty": "", "default": DEFAULT_SECRET, "short": "s3cr3t-but-short"}


@pytest.fixture(autouse=True)
def _production(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("GARDIEN_") and not name.upper().startswith("GARDIEN_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GARDIEN_ENVIRONMENT", "production")


def test_the_walk_finds_every_command() -> None:
    assert len(COMMANDS) >= 30
    for expected in [("serve",), ("policy", "show"), ("xapi", "client", "add"), ("check-config",)]:
        assert expected in COMMANDS


@pytest.mark.parametrize("command", [c for c in COMMANDS if c[0] not in REPORTS_ON_SETTINGS])
@pytest.mark.parametrize("weak", list(WEAK))
def test_every_command_refuses_a_weak_secret_in_production(
    command: tuple[str, ...],
    weak: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = WEAK[weak]
    if secret is not None:
        monkeypatch.setenv("GARDIEN_SECRET_KEY", secret)
    # Refused before the command reads its arguments: none is needed to be refused.
    assert main(list(command)) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("gardien: GARDIEN_SECRET_KEY is ")
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err
    assert captured.out == ""
    if secret:
        assert secret not in captured.err


@pytest.mark.parametrize("command", COMMANDS)
def test_help_stays_available_with_a_weak_secret(
    command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GARDIEN_SECRET_KEY", "weak")
    assert main([*command, "--help"]) == 0
    assert capsys.readouterr().out.startswith(f"Usage: gardien {' '.join(command)} ")


def test_a_strong_secret_lets_commands_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GARDIEN_SECRET_KEY", STRONG)
    assert main(["policy", "show", "--format", "json"]) == 0
    assert '"version"' in capsys.readouterr().out


def test_check_config_reports_the_weak_secret_instead_of_refusing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GARDIEN_SECRET_KEY", "s3cr3t-but-short")
    assert main(["check-config", "--lang", "en"]) == 1
    captured = capsys.readouterr()
    # The line of the variable itself (another line may mention it: the backup key's note).
    [line] = [line for line in captured.out.splitlines() if " GARDIEN_SECRET_KEY " in line]
    assert line.split()[:3] == ["to", "do", "GARDIEN_SECRET_KEY"]
    assert "shorter than 32 random bytes" in line
    assert "s3cr3t-but-short" not in captured.out + captured.err

"""``gardien cpf move|declare|show``, run in-process as a person would, on both databases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from gardien.cli.main import main
from gardien.store.tables import audit_entry
from tests.support.cpf_samples import EDOF, load_dossier, row
from tests.support.retention_samples import verify

NOW = "2025-05-02T10:00:00Z"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GARDIEN_POLICY", raising=False)
    monkeypatch.delenv("GARDIEN_DATABASE_URL", raising=False)
    monkeypatch.setenv("GARDIEN_NOW", NOW)


@pytest.fixture
def cpf(database_url: str, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run ``gardien cpf ...`` on the test database; return (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--database-url", database_url, "cpf", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def declaring(number: str, entry: str, exit_: str, rate: str, reason: str) -> tuple[str, ...]:
    """The arguments of ``gardien cpf declare``."""
    return (
        "declare",
        number,
        "--entry",
        entry,
        "--exit",
        exit_,
        "--rate",
        rate,
        "--reason",
        reason,
    )


def show(cpf: Any) -> dict[str, Any]:
    code, out, err = cpf("show", EDOF, "--json")
    assert (code, err) == (0, "")
    data: dict[str, Any] = json.loads(out)
    return data


def audit_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(audit_entry)).scalar_one())


def test_the_whole_path_on_the_command_line(engine: Engine, cpf: Any) -> None:
    load_dossier(engine)
    shown = show(cpf)
    assert shown["status"] == "accepted"
    assert shown["status_label"] == {"fr": "Accepté", "en": "Accepted"}
    assert shown["next_states"] == ["in_training", "cancelled"]

    assert cpf("move", EDOF, "--to", "in_training", "--entry-date", "2025-03-03") == (
        0,
        f"{EDOF}: accepted -> in_training\n",
        "",
    )
    assert cpf("move", EDOF, "--to", "terminated")[:2] == (
        0,
        f"{EDOF}: in_training -> terminated\n",
    )
    code, out, err = cpf(*declaring(EDOF, "2025-03-03", "2025-04-30", "85", "dropped_out"))
    assert (code, out, err) == (0, f"{EDOF}: terminated -> service_declared\n", "")

    shown = show(cpf)
    assert {k: shown[k] for k in ("status", "entry_date", "exit_date", "completion_rate")} == {
        "status": "service_declared",
        "entry_date": "2025-03-03",
        "exit_date": "2025-04-30",
        "completion_rate": 85,
    }
    assert shown["exit_reason"] == "dropped_out"
    assert shown["updated_at"] == "2025-05-02T10:00:00+00:00"
    assert shown["next_states"] == ["service_validated"]

    assert cpf("move", EDOF, "--to", "service_validated")[0] == 0
    code, out, err = cpf("show", EDOF)
    assert (code, err) == (0, "")
    assert (
        "status:               service_validated (Service fait validé / Service validated)" in out
    )
    assert "completion rate:      85 %" in out
    assert "next states:          none (final state)" in out
    assert audit_count(engine) == 4
    assert verify(engine).ok


def one_line_error(err: str, message: str) -> None:
    assert err.startswith(f"gardien: {message}")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_an_illegal_move_is_one_line_and_changes_nothing(engine: Engine, cpf: Any) -> None:
    load_dossier(engine)
    before = row(engine)
    code, out, err = cpf("move", EDOF, "--to", "terminated")
    assert (code, out) == (2, "")
    one_line_error(
        err,
        "EDOF transition refused: a CPF dossier cannot move from accepted to terminated;"
        " from accepted it can move to in_training or cancelled",
    )
    assert row(engine) == before
    assert audit_count(engine) == 0


def test_an_unknown_dossier(engine: Engine, cpf: Any) -> None:
    load_dossier(engine)
    for args in (
        ("show", "EDOF-0000"),
        ("move", "EDOF-0000", "--to", "cancelled"),
        declaring("EDOF-0000", "2025-03-03", "2025-04-30", "100", "completed"),
    ):
        code, out, err = cpf(*args)
        assert (code, out) == (1, "")
        one_line_error(err, "no CPF dossier has this EDOF number")
        assert "EDOF-0000" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("move", EDOF, "--to", "in_training"), "entry_date: entering the training needs"),
        (
            ("move", EDOF, "--to", "in_training", "--entry-date", "03/03/2025"),
            "--entry-date: not a date (YYYY-MM-DD): '03/03/2025'",
        ),
        (
            ("move", EDOF, "--to", "in_training", "--entry-date", "2025-05-03"),
            "entry_date: 2025-05-03 is after today (2025-05-02)",
        ),
        (("move", EDOF, "--to", "paid"), "Invalid value for '--to'"),
        (
            declaring(EDOF, "2025-03-03", "2025-04-30", "100", "dropped_out"),
            "exit_reason: at 100 % the training was completed",
        ),
        (
            declaring(EDOF, "2025-03-03", "2025-04-30", "101", "dropped_out"),
            "completion_rate: a whole percentage from 0 to 100 is required",
        ),
        (
            declaring(EDOF, "2025-04-30", "2025-03-03", "50", "dropped_out"),
            "exit_date: the exit (2025-03-03) is before the entry (2025-04-30)",
        ),
        (
            declaring(EDOF, "2025-03-03", "2025-04-30", "50", "bored"),
            "Invalid value for '--reason'",
        ),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    engine: Engine, cpf: Any, args: tuple[str, ...], message: str
) -> None:
    load_dossier(engine)
    before = row(engine)
    code, out, err = cpf(*args)
    assert (code, out) == (2, "")
    one_line_error(err, message)
    assert row(engine) == before
    assert audit_count(engine) == 0

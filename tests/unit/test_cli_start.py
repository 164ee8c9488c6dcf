"""The command line starts at once: listing commands imports none of the heavy libraries.

Checked by what gets imported, not by a stopwatch: a fresh interpreter runs the command
in-process, then reports which heavy modules ``sys.modules`` holds. (The start time itself is
measured in docs/configuration.md, never asserted: CI machines are too uneven for that.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gardien.cli import context, outbox, sweep
from gardien.i18n import DEFAULT_LANGUAGE, SUPPORTED
from gardien.services import outbox_sender
from gardien.services import sweep as sweep_service

SRC = Path(__file__).parents[2] / "src"
# What made `gardien --help` take 1.3 s: the web framework, the server, the database toolkit
# and its migrations, the PDF library, the password hasher, the templates.
HEAVY = [
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "fpdf",
    "argon2",
    "jinja2",
]
# Help needs neither the settings nor the catalogues, nor Rich's boxes. (Typer itself brings
# pydantic to read option values, except for the top-level --help.)
HELP_ALSO_WITHOUT = ["pydantic_settings", "babel", "yaml", "rich", "click"]

PROBE = """
import json, sys
from gardien.cli.main import main
code = main(json.loads(sys.argv[1]))
sys.stdout.flush()
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _imported(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    code, modules, _ = _run(argv, env)
    return code, modules


def _run(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, set[str], str]:
    """The exit code, the top-level packages imported, and what the command wrote on stderr."""
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("GARDIEN_")}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)],
        env={**clean, "PYTHONPATH": str(SRC), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    roots = {name.split(".")[0] for name in report["modules"]}
    return int(report["code"]), roots, result.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["policy", "--help"],
        ["db", "--help"],
        ["xapi", "client", "--help"],
        ["serve", "--help"],
        ["invoice", "pdf", "--help"],
    ],
)
def test_help_imports_nothing_heavy(argv: list[str]) -> None:
    code, modules = _imported(argv)
    assert code == 0
    assert modules & {*HEAVY, *HELP_ALSO_WITHOUT} == set()
    if argv == ["--help"]:
        assert "pydantic" not in modules


def test_check_config_reads_settings_only() -> None:
    code, modules = _imported(["check-config"])
    assert code == 1  # development: not ready for production
    assert "pydantic_settings" in modules  # it did read the settings
    assert modules & {*HEAVY, "yaml"} == set()  # nor the policy, which it does not need


@pytest.mark.parametrize(
    ("argv", "needs"),
    [
        (["policy", "show"], set()),
        (["policy", "show", "--format", "json"], set()),
        # The notice is one Jinja template for both formats; its dates are formatted by Babel.
        (["notice"], {"jinja2", "babel"}),
        (["notice", "--lang", "en"], {"jinja2", "babel"}),
        (["notice", "--format", "html"], {"jinja2", "babel"}),
    ],
)
def test_commands_on_the_policy_import_no_database_toolkit(
    argv: list[str], needs: set[str]
) -> None:
    # The policy is checked against the field list written out from the tables
    # (tests/unit/test_field_list.py), not against the tables: no SQLAlchemy.
    code, modules = _imported(argv)
    assert code == 0
    assert {"pydantic", "yaml"} <= modules  # it did read and validate the policy
    assert needs <= modules
    assert modules & (set(HEAVY) - needs) == set()


def test_a_policy_naming_a_missing_field_is_still_refused_without_sqlalchemy(
    tmp_path: Path,
) -> None:
    default = (SRC / "gardien" / "policy" / "default.yaml").read_text(encoding="utf-8")
    assert "learner.email" in default
    policy = tmp_path / "policy.yaml"
    policy.write_text(default.replace("learner.email", "learner.e_mail", 1), encoding="utf-8")
    code, modules, stderr = _run(["--policy", str(policy), "policy", "show"])
    assert code == 2
    assert "field 'learner.e_mail' does not exist in the data model" in stderr
    assert modules & set(HEAVY) == set()


def test_policy_check_reads_the_tables_but_not_the_web_app() -> None:
    # Its job is to read each column's classification on the tables themselves.
    code, modules = _imported(["policy", "check"])
    assert code == 0
    assert "sqlalchemy" in modules
    assert modules & {"fastapi", "starlette", "uvicorn", "alembic", "fpdf", "argon2"} == set()


@pytest.mark.parametrize(
    "command", [["-m", "gardien"], ["-c", "from gardien.cli.main import run; run()"]]
)
def test_python_m_gardien_and_the_entry_point_still_work(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, *command, "--help"],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "check-config" in result.stdout and "serve" in result.stdout


def test_the_defaults_named_in_the_cli_are_the_services_own() -> None:
    assert context.LANGUAGES == SUPPORTED
    assert context.LANGUAGES[0] == DEFAULT_LANGUAGE
    assert sweep.CLI_MAX_BATCH == sweep_service.CLI_MAX_BATCH
    assert sweep.CLI_BATCH_SECONDS == sweep_service.CLI_BATCH_SECONDS
    assert outbox.DEFAULT_LIMIT == outbox_sender.DEFAULT_LIMIT

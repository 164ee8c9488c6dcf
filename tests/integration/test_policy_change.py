"""One edit of the policy file (learners' data kept 24 months instead of 18) moves the notice,
the Art. 30 register and the sweep together: they all read the same file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from gardien.cli.main import main
from gardien.policy import DEFAULT_POLICY_PATH
from tests.support.retention_samples import cohort, load

LEARNER_RULE = "    record: learner\n    clock: last_activity\n    months: 18\n"


@pytest.fixture
def longer_policy(tmp_path: Path) -> Path:
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    assert text.count(LEARNER_RULE) == 1
    path = tmp_path / "policy-24.yaml"
    path.write_text(text.replace(LEARNER_RULE, LEARNER_RULE.replace("18", "24")), "utf-8")
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def _learner_retention(notice: str) -> str:
    (line,) = [x for x in notice.splitlines() if x.startswith("- **Données personnelles des app")]
    return line


def _register_retention(register: str) -> str:
    rows = {row[0]: row for row in csv.reader(io.StringIO(register))}
    header = rows.pop(next(iter(rows)))
    return rows["pedagogical_support"][header.index("Durées de conservation")]


def _swept(capsys: pytest.CaptureFixture[str], url: str, policy: list[str]) -> int:
    out = _run(capsys, *policy, "--database-url", url, "sweep", "--as-of", "2026-03-01", "--json")
    rules = {rule["rule"]: rule for rule in json.loads(out)["rules"]}
    return int(rules["learner_data"]["expired"])


def test_the_notice_the_register_and_the_sweep_move_together(
    engine: Engine, database_url: str, longer_policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Last active 30 June 2024: 20 months before 1 March 2026.
    load(engine, cohort("idle", 3, last_activity="2024-06-30T10:00:00Z"))
    default: list[str] = []
    longer = ["--policy", str(longer_policy)]

    notices = [_run(capsys, *p, "notice", "--lang", "fr") for p in (default, longer)]
    assert "18 mois après la dernière activité" in _learner_retention(notices[0])
    assert "24 mois (2 ans) après la dernière activité" in _learner_retention(notices[1])
    versions = [_run(capsys, *p, "register", "--format", "json") for p in (default, longer)]
    assert json.loads(versions[0]) != json.loads(versions[1])
    registers = [_run(capsys, *p, "register", "--format", "csv") for p in (default, longer)]
    assert "18 mois" in _register_retention(registers[0])
    assert "24 mois" in _register_retention(registers[1])
    assert "18 mois après la dernière activité" not in _register_retention(registers[1])

    # The 24-month policy keeps them; the shipped 18-month one then erases them.
    assert _swept(capsys, database_url, longer) == 0
    assert _swept(capsys, database_url, default) == 3

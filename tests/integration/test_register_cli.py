"""``gardien register``, run in-process as a user would."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import html5lib
import pytest

from gardien.cli.main import main
from gardien.policy import load_policy
from gardien.store.catalogue import record_catalogue


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GARDIEN_POLICY", raising=False)
    monkeypatch.delenv("GARDIEN_NOW", raising=False)


def purpose_ids() -> list[str]:
    return list(load_policy(None, catalogue=record_catalogue()).purposes)


def test_csv_on_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["register", "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    table = list(csv.DictReader(io.StringIO(out)))
    assert [row["Identifiant du traitement"] for row in table] == purpose_ids()
    assert all(value.strip() for row in table for value in row.values())


def test_english_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["register", "--format", "json", "--lang", "en"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["lang"] == "en"
    assert data["policy_version"] == load_policy(None, catalogue=record_catalogue()).version
    assert [a["purpose_id"] for a in data["activities"]] == purpose_ids()


def test_out_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "register.html"
    assert main(["register", "--format", "html", "--out", str(target)]) == 0
    out = capsys.readouterr().out
    assert str(target) in out
    assert "<html" not in out
    document = target.read_text("utf-8")
    tree = html5lib.HTMLParser(strict=True).parse(document)
    assert tree.get("lang") == "fr"


def test_the_policy_option_is_honoured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small = Path(__file__).parents[1] / "fixtures" / "policies" / "small.yaml"
    assert main(["--policy", str(small), "register", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["controller"]["name"] == "Formations Exemple"
    assert [a["purpose_id"] for a in data["activities"]] == ["training", "billing"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "pdf"], "Invalid value for '--format'"),
        (["--lang", "de"], "Invalid value for '--lang'"),
    ],
)
def test_bad_options_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["register", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("gardien: ")
    assert message in captured.err
    assert "Traceback" not in captured.err


def test_an_unwritable_out_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing" / "register.csv"
    assert main(["register", "--out", str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"gardien: --out {target}: cannot write")
    assert not target.exists()

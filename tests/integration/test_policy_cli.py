"""``gardien policy show`` and ``gardien policy check``, run in-process as a user would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from gardien.cli.main import main
from gardien.policy import DEFAULT_POLICY_PATH, load_policy
from gardien.store.catalogue import record_catalogue


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GARDIEN_POLICY", raising=False)
    monkeypatch.delenv("GARDIEN_NOW", raising=False)


def default_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    return document


def write(tmp_path: Path, document: dict[str, Any], name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def show(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main([*argv, "policy", "show", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    data: dict[str, Any] = json.loads(out)
    return data


def test_show_prints_the_effective_policy_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    shown = show(capsys)
    policy = load_policy(None, catalogue=record_catalogue())
    assert shown == {
        "version": policy.version,
        "source": str(DEFAULT_POLICY_PATH),
        **policy.model_dump(mode="json"),
    }
    assert shown["retention"]["learner_data"]["months"] == 18
    assert shown["retention"]["invoices"]["months"] == 120
    assert shown["retention"]["opco_dossiers"]["months"] == 72


def test_show_prints_yaml_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "show"]) == 0
    shown = yaml.safe_load(capsys.readouterr().out)
    assert shown["hosting"]["provider"] == "OVH"
    assert shown == show(capsys)


def test_policy_option_selects_another_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = default_document()
    document["retention"]["learner_data"]["months"] = 24
    path = write(tmp_path, document)

    shown = show(capsys, "--policy", str(path))
    assert shown["source"] == str(path)
    assert shown["retention"]["learner_data"]["months"] == 24
    assert shown["version"] != show(capsys)["version"]


def test_environment_variable_selects_another_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    document = default_document()
    document["retention"]["learner_data"]["months"] = 24
    monkeypatch.setenv("GARDIEN_POLICY", str(write(tmp_path, document)))
    assert show(capsys)["retention"]["learner_data"]["months"] == 24


def test_policy_option_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    document = default_document()
    document["retention"]["learner_data"]["months"] = 24
    monkeypatch.setenv("GARDIEN_POLICY", str(write(tmp_path, document, "env.yaml")))
    document["retention"]["learner_data"]["months"] = 30
    option = write(tmp_path, document, "option.yaml")
    assert show(capsys, "--policy", str(option))["retention"]["learner_data"]["months"] == 30


def test_a_broken_file_named_by_the_environment_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    document = default_document()
    document["retention"]["invoices"]["months"] = -120
    path = write(tmp_path, document)
    monkeypatch.setenv("GARDIEN_POLICY", str(path))
    assert main(["policy", "show"]) == 2
    err = capsys.readouterr().err
    line = next(
        number
        for number, text in enumerate(path.read_text("utf-8").splitlines(), start=1)
        if "-120" in text
    )
    assert err == (
        f"gardien: {path}:{line}: retention.invoices.months: a duration must be a whole number"
        " of months between 0 and 1200 (got -120)\n"
    )


def test_check_passes_on_the_shipped_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "check"]) == 0
    out = capsys.readouterr().out
    assert "columns classified" in out
    assert "each covered by a retention rule" in out


def test_check_names_the_columns_of_a_category_the_policy_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = default_document()
    del document["categories"]["billing"]
    del document["retention"]["invoices"]
    document["purposes"]["billing"]["categories"].remove("billing")
    path = write(tmp_path, document)

    code = main(["--policy", str(path), "policy", "check"])
    assert code != 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("gardien: policy check failed:\n")
    columns = ("billing_name", "billing_address", "billing_email", "subject_lookup")
    for column in columns:
        assert f"column invoice.{column} names category 'billing'" in err
    assert err.count("\n  - ") == len(columns)


def test_check_on_a_broken_policy_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("format: 1\ncontroller: [\n", encoding="utf-8")
    assert main(["--policy", str(path), "policy", "check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gardien: {path}:")
    assert err.count("\n") == 1

"""``gardien transmit``, run in-process as staff would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, func, select

from gardien.cli.main import main
from gardien.store.tables import disclosure
from tests.support.transmission_samples import load_contracts


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GARDIEN_POLICY", raising=False)
    monkeypatch.delenv("GARDIEN_NOW", raising=False)


def test_a_cpf_payload_goes_to_a_file_with_its_digest_on_stderr(
    engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    load_contracts(engine)
    out = tmp_path / "edof.json"
    argv = ["--database-url", database_url, "transmit", "--contract", "C-CPF"]
    assert main([*argv, "--to", "funding_body", "--out", str(out), "--as-of", "2026-02-01"]) == 0
    err = capsys.readouterr().err
    document = json.loads(out.read_text(encoding="utf-8"))
    [record] = document["contracts"][0]["records"]
    assert record["cpf_dossier.edof_number"] == "EDOF-000001"
    assert "learner.email" not in record
    assert "transmitted to funding_body: 1 contract(s), 1 record(s), sha256 " in err


def test_an_opco_payload_writes_the_certificate_beside_it(
    engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    load_contracts(engine)
    out = tmp_path / "opco.csv"
    argv = ["--database-url", database_url, "transmit", "--contract", "C-OPCO", "--to", "opco"]
    assert main([*argv, "--format", "csv", "--out", str(out)]) == 0
    capsys.readouterr()
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert "certificate_of_completion.filename" in header
    [pdf] = tmp_path.glob("certificat-*.pdf")
    assert "OPCO-AG-1" in PdfReader(pdf).pages[0].extract_text()


def test_online_payment_is_refused_with_the_policys_words_and_exit_2(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    load_contracts(engine)
    argv = ["--database-url", database_url, "transmit", "--contract", "C-WEB"]
    assert main([*argv, "--to", "funding_body"]) == 2
    err = capsys.readouterr().err
    assert "transmission refused" in err
    assert "aucune donnée n'est transmise à des tiers" in err
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(disclosure)).scalar() == 0


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--contract", "C-CPF", "--sponsor", "SP-EMP"], "either a contract or a sponsor"),
        (["--sponsor", "SP-EMP", "--from", "2026-01-01"], "need a period"),
        (["--sponsor", "SP-EMP", "--from", "2026-13-01", "--until", "2026-12-31"], "not a date"),
        (["--contract", "C-NONE"], "no contract 'C-NONE'"),
    ],
)
def test_bad_targets_are_clear_errors(
    engine: Engine,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    says: str,
) -> None:
    load_contracts(engine)
    code = main(["--database-url", database_url, "transmit", "--to", "employer", *extra])
    assert code in (1, 2)
    assert says in capsys.readouterr().err

"""The demo loads through the import service, on SQLite and PostgreSQL, by API and by CLI."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import Engine, Table, func, select

from gardien.cli.main import main
from gardien.domain.clock import FixedClock
from gardien.services.demo_data import build_demo_document
from gardien.services.importing.writer import import_document
from gardien.store.engine import make_engine
from gardien.store.tables import (
    account,
    activity_statement,
    contract,
    invoice,
    learner,
    newsletter_subscription,
    opco_dossier,
)
from gardien.store.uow import UnitOfWork

TODAY = date(2026, 6, 1)
HOME_PAGE = "https://learning.example.org"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GARDIEN_POLICY", "GARDIEN_NOW", "GARDIEN_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def count(engine: Engine, table: Table) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_the_demo_imports_whole_and_a_second_load_changes_nothing(engine: Engine) -> None:
    document = build_demo_document(learners=120, seed=3, today=TODAY)
    clock = FixedClock.on(TODAY)

    first = import_document(document, uow=UnitOfWork(engine), clock=clock, home_page=HOME_PAGE)
    second = import_document(document, uow=UnitOfWork(engine), clock=clock, home_page=HOME_PAGE)

    assert first.changed and not second.changed
    assert count(engine, learner) == 120
    assert count(engine, contract) == len(document.contracts)
    assert count(engine, activity_statement) == len(document.statements)
    assert count(engine, invoice) == len(document.invoices)
    assert count(engine, opco_dossier) == len(document.opco_dossiers)
    assert count(engine, newsletter_subscription) == len(document.newsletter_subscriptions)


def test_demo_data_command_loads_an_empty_database(
    empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = empty_database_url
    argv = ["--database-url", url, "demo-data", "--learners", "30", "--seed", "2"]
    assert main([*argv, "--as-of", TODAY.isoformat()]) == 0
    out, err = capsys.readouterr()
    assert "learners: 30 inserted" in out and err == ""

    # Any learner of the demo can then be exported, by the same command line.
    document = build_demo_document(learners=30, seed=2, today=TODAY)
    someone = document.learners[0].email
    export = ["--database-url", url, "subject", "export", "--email", someone.upper()]
    assert main([*export, "--as-of", TODAY.isoformat()]) == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["found"] is True and result["subject"]["email"] == someone
    assert "learner" in result["roles"]


def test_demonstration_accounts_exist_in_development_only(
    empty_database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = empty_database_url
    argv = ["--database-url", url, "demo-data", "--learners", "20", "--seed", "4"]
    monkeypatch.setenv("GARDIEN_ENVIRONMENT", "test")
    assert main([*argv, "--as-of", TODAY.isoformat()]) == 0
    assert "not created outside development" in capsys.readouterr().out
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(account)).scalar_one() == 0
        monkeypatch.setenv("GARDIEN_ENVIRONMENT", "development")
        assert main([*argv, "--as-of", TODAY.isoformat()]) == 0
        out = capsys.readouterr().out
        with engine.connect() as connection:
            roles = set(connection.execute(select(account.c.role)).scalars())
        assert roles == {"learner", "sponsor_contact", "dpo", "admin"}
        assert "dpo.demo@example.org" in out
    finally:
        engine.dispose()

"""The demo loads as production data arrives, on SQLite and PostgreSQL, by API and by CLI:
records by import, activity through the LRS of a server running on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, Table, func, select, update

from gardien.bootstrap import Container, bootstrap
from gardien.cli.main import main
from gardien.errors import XapiSendError
from gardien.services.demo.loading import load_demo
from gardien.services.demo.lrs import CLIENT_NAME, send_statements, statement_batches
from gardien.services.demo_data import build_demo_document
from gardien.services.importing.document import ImportDocument
from gardien.services.xapi.clients import NewClient
from gardien.store.engine import make_engine
from gardien.store.tables import (
    account,
    activity_statement,
    contract,
    enrolment,
    invoice,
    learner,
    learning_module,
    learning_path,
    module_progress,
    newsletter_subscription,
    opco_dossier,
    xapi_client,
)
from gardien.web.background import serving_in_background
from tests.support.lrs import register_client

TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GARDIEN_POLICY", "GARDIEN_NOW", "GARDIEN_DATABASE_URL", "GARDIEN_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def app(engine: Engine) -> Iterator[Container]:
    """The container a command would build on ``engine``, as of :data:`TODAY`."""
    yield bootstrap(engine=engine, as_of=TODAY.isoformat())


def count(engine: Engine, table: Table) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def stored_by_clients(engine: Engine) -> list[tuple[str | None, Any]]:
    """(client name, authority) of every stored statement."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(xapi_client.c.name, activity_statement.c.raw).select_from(
                activity_statement.outerjoin(
                    xapi_client, xapi_client.c.id == activity_statement.c.client_id
                )
            )
        ).all()
    return [(name, raw["authority"]) for name, raw in rows]


def as_stored(engine: Engine) -> dict[str, Any]:
    """Last activity by learner, enrolments by (learner, path) and module progress by (learner,
    path, module), as the database holds them."""
    with engine.connect() as connection:
        learners = {
            row.email: row.last_activity_at
            for row in connection.execute(select(learner.c.email, learner.c.last_activity_at))
        }
        modules = {
            (row.email, row.path, row.module): (row.status, row.score_scaled, row.updated_at)
            for row in connection.execute(
                select(
                    learner.c.email,
                    learning_path.c.code.label("path"),
                    learning_module.c.code.label("module"),
                    module_progress.c.status,
                    module_progress.c.score_scaled,
                    module_progress.c.updated_at,
                )
                .join(enrolment, enrolment.c.id == module_progress.c.enrolment_id)
                .join(learner, learner.c.id == enrolment.c.learner_id)
                .join(learning_path, learning_path.c.id == enrolment.c.path_id)
                .join(learning_module, learning_module.c.id == module_progress.c.module_id)
            )
        }
        enrolments = {
            (row.email, row.code): (row.status, row.progress, row.completed_at)
            for row in connection.execute(
                select(
                    learner.c.email,
                    learning_path.c.code,
                    enrolment.c.status,
                    enrolment.c.progress,
                    enrolment.c.completed_at,
                )
                .join(learner, learner.c.id == enrolment.c.learner_id)
                .join(learning_path, learning_path.c.id == enrolment.c.path_id)
            )
        }
    return {"learners": learners, "enrolments": enrolments, "modules": modules}


def as_planned(document: ImportDocument) -> dict[str, Any]:
    return {
        "learners": {x.email: x.last_activity_at for x in document.learners},
        "enrolments": {
            (e.learner, e.path): (e.status.value, e.progress, e.completed_at)
            for e in document.enrolments
        },
        "modules": {
            (e.learner, e.path, m.module): (m.status, m.score_scaled, m.updated_at)
            for e in document.enrolments
            for m in e.modules
        },
    }


def test_the_demo_loads_whole_through_the_lrs_and_a_second_load_changes_nothing(
    engine: Engine, app: Container
) -> None:
    document = build_demo_document(learners=120, seed=3, today=TODAY)
    home = app.settings.public_url

    def load() -> Any:
        return load_demo(
            document,
            engine=engine,
            clock=app.clock,
            home_page=home,
            serve=lambda: serving_in_background(app),
        )

    first = load()
    assert first.report.changed and first.client.name == CLIENT_NAME
    assert first.statements == len(document.statements) > 0
    assert count(engine, learner) == 120
    assert count(engine, contract) == len(document.contracts)
    assert count(engine, invoice) == len(document.invoices)
    assert count(engine, opco_dossier) == len(document.opco_dossiers)
    assert count(engine, newsletter_subscription) == len(document.newsletter_subscriptions)
    # Every statement was stored by the LRS, for the demo's client, none by the import.
    authority = {
        "objectType": "Agent",
        "account": {"homePage": f"{home}/xapi/clients", "name": CLIENT_NAME},
    }
    assert stored_by_clients(engine) == [(CLIENT_NAME, authority)] * len(document.statements)
    # The statements confirmed what was imported: last activity, progress, status.
    assert as_stored(engine) == as_planned(document)

    second = load()
    assert not second.report.changed
    assert second.client.name == "Plateforme e-learning (démo 2)"
    assert count(engine, activity_statement) == len(document.statements)
    assert {name for name, _ in stored_by_clients(engine)} == {CLIENT_NAME}
    assert as_stored(engine) == as_planned(document)


def test_demo_data_command_loads_an_empty_database(
    empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = empty_database_url
    # Without its past: what is stored is exactly what was sent (no erasure, no purge yet).
    argv = ["--database-url", url, "demo-data", "--learners", "30", "--seed", "2", "--no-past"]
    assert main([*argv, "--as-of", TODAY.isoformat()]) == 0
    out, err = capsys.readouterr()
    document = build_demo_document(learners=30, seed=2, today=TODAY)
    planned = len(document.statements)
    assert "learners: 30 inserted" in out and err == ""
    assert f"statements: {planned} sent to POST /xapi/statements" in out
    engine = make_engine(url)
    try:
        stored = stored_by_clients(engine)
        assert len(stored) == planned
        assert {(name, authority["account"]["name"]) for name, authority in stored} == {
            (CLIENT_NAME, CLIENT_NAME)
        }
        assert as_stored(engine) == as_planned(document)
    finally:
        engine.dispose()


def test_a_demo_learner_is_exported_with_their_statements_by_the_command_line(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    as_of = ["--as-of", TODAY.isoformat()]
    loading = ["demo-data", "--learners", "30", "--seed", "2", "--no-past", *as_of]
    assert main(["--database-url", url, *loading]) == 0
    document = build_demo_document(learners=30, seed=2, today=TODAY)
    someone = document.learners[0].email
    theirs = sorted(s.id for s in document.statements if s.learner == someone)
    assert theirs

    export = ["subject", "export", "--email", someone, *as_of]
    command = subprocess.run(
        [sys.executable, "-m", "gardien", "--database-url", url, *export],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert command.returncode == 0, command.stderr
    exported = json.loads(command.stdout)
    assert exported["found"] is True and exported["subject"]["email"] == someone
    records = [r for c in exported["categories"] for r in c["records"]]
    statements = [r for r in records if r["record"] == "activity_statement"]
    assert sorted(r["fields"]["statement_id"] for r in statements) == theirs
    assert {r["context"]["client"] for r in statements} == {CLIENT_NAME}


def test_a_refusal_by_the_lrs_stops_the_demo_naming_the_status_and_the_error(
    empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = empty_database_url
    argv = ["--database-url", url, "demo-data", "--learners", "20", "--seed", "5", "--no-past"]
    argv += ["--as-of", TODAY.isoformat()]
    assert main(argv) == 0
    # Someone changed a stored statement: sent again, the LRS answers 409 Conflict.
    document = build_demo_document(learners=20, seed=5, today=TODAY)
    first = statement_batches(document)[0][0]["id"]
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            raw = connection.execute(
                select(activity_statement.c.raw).where(activity_statement.c.statement_id == first)
            ).scalar_one()
            connection.execute(
                update(activity_statement)
                .where(activity_statement.c.statement_id == first)
                .values(raw={**raw, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}})
            )
    finally:
        engine.dispose()
    capsys.readouterr()

    assert main(argv) == 1

    out, err = capsys.readouterr()
    total = len(document.statements)
    assert err == (
        f"gardien: the Learning Record Store refused statements 1-50 of {total}: HTTP 409,"
        f" id: statement {first} is already stored with different content\n"
    )
    assert "Traceback" not in out + err


def test_sending_names_the_lrs_answer_or_its_silence(engine: Engine, app: Container) -> None:
    document = build_demo_document(learners=2, seed=1, today=TODAY)
    batch = statement_batches(document)[:1]
    stranger = NewClient(name="inconnu", key="gardien-0000000000000000", secret="x")
    with serving_in_background(app) as base:
        # Nobody is registered under these credentials.
        with pytest.raises(XapiSendError) as refused:
            send_statements(base, stranger, batch)
        # A statement the LRS refuses (a verb that is no IRI): the whole batch is refused.
        client = register_client(engine)
        bad = [[{**batch[0][0], "verb": {"id": "not an iri"}}, *batch[0][1:]]]
        with pytest.raises(XapiSendError) as unknown:
            send_statements(base, client, bad)
    with pytest.raises(XapiSendError) as silent:
        send_statements(base, client, batch)
    size = len(batch[0])
    assert str(refused.value) == (
        f"the Learning Record Store refused statements 1-{size} of {size}: HTTP 401,"
        " client credentials required (HTTP Basic)"
    )
    assert (unknown.value.status, unknown.value.prop) == (400, "[0].verb.id")
    assert f"refused statements 1-{size} of {size}: HTTP 400, [0].verb.id:" in str(unknown.value)
    assert silent.value.status is None
    assert str(silent.value).startswith(
        f"the Learning Record Store did not answer for statements 1-{size} of {size}"
    )
    assert count(engine, activity_statement) == 0


def test_demonstration_accounts_exist_in_development_only(
    empty_database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = empty_database_url
    argv = ["--database-url", url, "demo-data", "--learners", "20", "--seed", "4"]
    monkeypatch.setenv("GARDIEN_ENVIRONMENT", "test")
    assert main([*argv, "--as-of", TODAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "not created outside development" in out and "secret" not in out
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
        # The demo's platform can go on sending statements: its credentials are shown.
        assert "xAPI client 'Plateforme e-learning (démo 2)'" in out and "secret " in out
    finally:
        engine.dispose()

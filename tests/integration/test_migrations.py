"""The Alembic migrations and the SQLAlchemy tables agree, on SQLite and on PostgreSQL.

And a database that is not migrated is refused, with the command that fixes it.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from gardien.cli.main import main
from gardien.domain.xapi.identifiers import mbox_sha1sum
from gardien.domain.xapi.pseudonyms import Pseudonyms
from gardien.store.engine import make_engine
from gardien.store.migrate import (
    alembic_config,
    current_revision,
    ensure_migrated,
    head_revision,
    revisions_after,
    upgrade,
)
from gardien.store.tables import activity_statement, metadata, statement_agent
from tests.support.lookup import LOOKUP


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GARDIEN_POLICY", "GARDIEN_NOW", "GARDIEN_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def differences(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection, warnings.catch_warnings():
            if connection.dialect.name == "sqlite":
                # SQLite cannot reflect an index on an expression: both sides skip it, with a
                # warning each (PostgreSQL compares it; the next test checks SQLite's).
                for skipped in SQLITE_SKIPS:
                    warnings.filterwarnings("ignore", message=skipped)
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "compare_server_default": True},
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


SQLITE_SKIPS = (
    "Skipped unsupported reflection of expression-based index",
    "autogenerate skipping metadata-specified expression-based index",
)
EXPRESSION_INDEXES = {"ix_activity_statement_statement_ref"}


def expression_indexes(url: str) -> dict[str, str]:
    """The indexes on an expression, by name, with their definition as the database has it."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                query = "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
            else:
                query = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            rows = connection.execute(text(query)).all()
    finally:
        engine.dispose()
    return {name: sql for name, sql in rows if name in EXPRESSION_INDEXES}


def test_models_and_migrations_agree(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()
    assert tables == set(metadata.tables)
    assert differences(empty_database_url) == []


def test_the_migrated_expression_indexes_are_the_models(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    found = expression_indexes(empty_database_url)
    assert set(found) == EXPRESSION_INDEXES
    definition = " ".join(found["ix_activity_statement_statement_ref"].lower().split())
    assert "lower(" in definition and "object_id" in definition
    assert "where" in definition and "length(" in definition and "36" in definition


def test_the_comparison_would_see_a_difference(empty_database_url: str) -> None:
    # Guard against a vacuous pass: an empty database differs from the model in every table.
    diffs = differences(empty_database_url)
    added = {diff[1].name for diff in diffs if diff[0] == "add_table"}
    assert added == set(metadata.tables)


def test_upgrade_is_idempotent(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        upgrade(engine)
        ensure_migrated(engine)
    finally:
        engine.dispose()


def test_an_unmigrated_database_is_refused_until_upgraded(
    empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = empty_database_url
    export = ["--database-url", url, "subject", "export", "--email", "x@example.org"]

    code = main(export)
    out, err = capsys.readouterr()
    assert code != 0
    assert out == ""
    assert err.count("\n") == 1, err
    assert "empty (never migrated)" in err
    assert "run 'gardien db upgrade'" in err

    assert main(["--database-url", url, "db", "current"]) == 0
    assert capsys.readouterr().out == f"database: empty; head: {head_revision()}\n"

    assert main(["--database-url", url, "db", "upgrade"]) == 0
    applied = len(revisions_after(None))
    assert capsys.readouterr().out == (
        f"applied {applied} migration(s): database at revision {head_revision()}\n"
    )
    assert main(["--database-url", url, "db", "upgrade"]) == 0
    assert capsys.readouterr().out == (
        f"nothing to apply: database at revision {head_revision()}\n"
    )

    assert main(["--database-url", url, "db", "current"]) == 0
    assert capsys.readouterr().out == f"database: {head_revision()}; head: {head_revision()}\n"


def test_0002_gives_existing_sponsors_their_retention_clock(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        command.upgrade(alembic_config(engine), "0001")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO sponsor (id, ref, kind, name, created_at) VALUES"
                    " (1, 'S-1', 'organisation', 'Une', :at),"
                    " (2, 'S-2', 'organisation', 'Deux', :at)"
                ),
                {"at": "2023-03-09 23:30:00.000000"},
            )
            connection.execute(
                text(
                    "INSERT INTO contract (reference, funding_type, sponsor_id, signed_on,"
                    " starts_on, ends_on, amount_cents) VALUES"
                    " ('C-1', 'employer_plan', 1, '2023-01-02', '2023-01-02', '2024-06-30', 1),"
                    " ('C-2', 'employer_plan', 1, '2023-01-02', '2023-01-02', '2024-01-31', 1)"
                )
            )
        upgrade(engine)
        with engine.connect() as connection:
            clocks = connection.execute(
                text("SELECT ref, retention_clock FROM sponsor ORDER BY ref")
            ).all()
        assert [(ref, str(clock)) for ref, clock in clocks] == [
            ("S-1", "2024-06-30"),
            ("S-2", "2023-03-09"),
        ]
    finally:
        engine.dispose()


def test_0009_stores_parked_statements_under_pseudonyms_and_drops_parking(
    empty_database_url: str,
) -> None:
    stranger = "ines.parquee@example.com"
    parked = {
        "id": "5C5D8CBE-2B9B-4F59-8A0C-2F1F0F0F0F09",
        "actor": {"objectType": "Agent", "name": "Inès Parquée", "mbox": f"mailto:{stranger}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"objectType": "Activity", "id": "https://learning.example.org/m1"},
        "context": {"instructor": {"name": "Ugo Formateur", "mbox": "mailto:ugo@example.org"}},
        "timestamp": "2026-01-15T10:00:00Z",
    }
    engine = make_engine(empty_database_url)
    try:
        command.upgrade(alembic_config(engine), "0008")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO xapi_client (id, name, key, secret_sha256, created_at)"
                    " VALUES (1, 'Outil', 'k', 's', :at)"
                ),
                {"at": "2026-01-15 10:00:00.000000"},
            )
            connection.execute(
                text(
                    "INSERT INTO xapi_parked (received_at, client_id, actor_lookup, statement)"
                    " VALUES (:at, 1, 'x', :statement)"
                ),
                {"at": "2026-01-15 10:00:01.000000", "statement": json.dumps(parked)},
            )
        upgrade(engine, pseudonyms=Pseudonyms(LOOKUP, "https://www.example.org"))
        assert "xapi_parked" not in inspect(engine).get_table_names()
        with engine.connect() as connection:
            (row,) = connection.execute(select(activity_statement)).all()
            places = connection.execute(select(statement_agent.c.place)).scalars().all()
        assert row.statement_id == parked["id"].lower() and row.learner_id is None
        assert row.actor_name == LOOKUP.of(f"sha1:{mbox_sha1sum(stranger)}")
        assert row.raw["authority"]["account"]["name"] == "Outil"
        assert places == ["context.instructor"]
        text_stored = json.dumps(row.raw, ensure_ascii=False).lower()
        for clear in ("ines", "inès", "parquée", "ugo", mbox_sha1sum(stranger)):
            assert clear not in text_stored
    finally:
        engine.dispose()

"""Nothing readable left in freed pages: after an erasure or a sweep, the bytes of the SQLite
files (the database, its ``-wal``, its ``-shm``) hold a person's identifiers only where a live
row legitimately holds them (a record a legal duty keeps, the audit log's pseudonyms).

The web app keeps the file open, so SQLite never deletes the WAL: without a TRUNCATE checkpoint
it keeps the pages as they were before the erasure. Without ``secure_delete`` the deleted rows
stay in the free space of their pages. The counter-cases show the scan finds both.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event

from gardien.domain.clock import FixedClock
from gardien.services.erasure import erase_subject
from gardien.services.subject_export import subject_keys
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.retention.subject import erase_subject_rows
from gardien.store.scrub import Scrub, scrub_freed_pages
from gardien.store.uow import UnitOfWork
from tests.support.erased_person import (
    COLLEAGUE,
    DOSSIER,
    EMAIL,
    EMPLOYER,
    FAMILY,
    GIVEN,
    MESSAGE,
    NAME,
    PHONE,
)
from tests.support.import_samples import write
from tests.support.lookup import LOOKUP
from tests.support.raw_bytes import (
    expressions_or_partial_indexes,
    in_live_rows,
    leftovers,
    on_disk,
    wal_size,
)
from tests.support.retention_samples import (
    contract_doc,
    default_policy,
    document,
    enrolment_doc,
    invoice_doc,
    learner_doc,
    load,
    opco_doc,
    run_sweep,
    statements,
)
from tests.support.server import running_server
from tests.support.web import form_post

AS_OF = date(2026, 6, 1)
SERVER_NOW = "2026-05-20T10:00:00+00:00"


def her_document() -> dict[str, Any]:
    """Her learner account on an OPCO-funded training (a dossier the law keeps, with her name),
    her employer's training contact with her phone, her learning statements."""
    return document(
        learners=[
            learner_doc(EMAIL, GIVEN, FAMILY, "2026-05-02T09:00:00Z"),
            learner_doc(COLLEAGUE, "Gaspard", "Lenoir", "2026-05-03T09:00:00Z"),
        ],
        sponsors=[EMPLOYER],
        contracts=[
            contract_doc(
                "CT-TONN",
                "opco",
                "2025-12-15",
                learners=[EMAIL, COLLEAGUE],
                sponsor="ORG-TONN",
                starts_on="2025-09-15",
            )
        ],
        enrolments=[enrolment_doc(EMAIL, "CT-TONN", updated="2026-05-02T09:00:00Z")],
        statements=statements(EMAIL, 3, last="2026-05-02T09:00:00Z"),
        # Billed to the employer: the invoice the law keeps holds nothing of hers.
        invoices=[
            invoice_doc(
                "FA-2025-1215",
                "2025-12-15",
                name="Tonnellerie Fictive SARL",
                email="compta@tonnellerie-fictive.example.com",
                contract_ref="CT-TONN",
            )
        ],
        opco_dossiers=[
            opco_doc(DOSSIER, "CT-TONN", EMAIL, NAME, start="2025-09-15", end="2025-12-15"),
            opco_doc(
                "AC-TONN-8",
                "CT-TONN",
                COLLEAGUE,
                "Gaspard Lenoir",
                start="2025-09-15",
                end="2025-12-15",
            ),
        ],
    )


def message_document() -> dict[str, Any]:
    """Her contact-form message, as an import brings it (the in-process tests)."""
    return document(
        contact_messages=[
            {
                "name": NAME,
                "email": EMAIL,
                "message": MESSAGE,
                "received_at": "2026-05-10T09:00:00Z",
                "last_exchange_at": "2026-05-10T09:00:00Z",
            }
        ]
    )


def pseudonym_of(database: Path, email: str) -> str:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        (pseudonym,) = connection.execute(
            "SELECT pseudonym FROM learner WHERE email = ?", (email,)
        ).fetchone()
        return str(pseudonym)
    finally:
        connection.close()


def gardien(env: dict[str, str], *args: str) -> str:
    """Run the ``gardien`` command line as its own process; its output."""
    done = subprocess.run(
        [sys.executable, "-m", "gardien", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "gardien.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    # Each read by its CREATE INDEX in in_live_rows: a new one asks for a look (and a test).
    assert set(expressions_or_partial_indexes(path)) == {"ix_activity_statement_statement_ref"}
    return path


@contextmanager
def held_open(database: Path, *, snapshot: bool = False) -> Iterator[sqlite3.Connection]:
    """Another connection on the file, as the web app keeps: SQLite keeps the WAL while one is
    open. With ``snapshot``, it stays in a read transaction (a long report, a slow page)."""
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        if snapshot:
            connection.execute("BEGIN")
        connection.execute("SELECT count(*) FROM learner").fetchone()
        yield connection
    finally:
        if connection.in_transaction:
            connection.execute("COMMIT")
        connection.close()


def erase(engine: Engine, email: str = EMAIL) -> None:
    result = erase_subject(
        email,
        uow=UnitOfWork(engine, write=True),
        policy=default_policy(),
        clock=FixedClock.on(AS_OF),
        lookup=LOOKUP,
    )
    assert result.found
    assert [k.key for k in result.kept] == [DOSSIER]


def test_an_erasure_leaves_no_readable_byte_while_the_server_holds_the_file(
    database: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{database}"
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": SERVER_NOW}
    with running_server(env) as base:
        # A few requests, so the server's pool holds connections on the file.
        for path in ("/contact", "/newsletter", "/confidentialite"):
            assert httpx.get(f"{base}{path}", timeout=30).status_code == 200
        gardien(
            env,
            "import",
            str(write(tmp_path / "her.json", her_document())),
            "--as-of",
            AS_OF.isoformat(),
        )
        contact = {"name": NAME, "email": EMAIL, "message": MESSAGE}
        sent = form_post(f"{base}/contact", contact)
        assert sent.status_code == 200
        subscribed = form_post(f"{base}/newsletter", {"email": EMAIL, "consent": "yes"})
        assert subscribed.status_code == 200
        needles = [EMAIL, GIVEN, FAMILY, PHONE, MESSAGE, pseudonym_of(database, EMAIL)]

        # Before: she is in the files, and the server keeps the WAL (the import has exited).
        before = on_disk(database, needles)
        assert all(before[n] > 0 for n in needles), before
        assert wal_size(database) > 0

        out = gardien(
            env, "subject", "erase", "--email", EMAIL, "--yes", "--as-of", AS_OF.isoformat()
        )
        assert DOSSIER in out

        assert httpx.get(f"{base}/health", timeout=30).status_code == 200  # still serving
        assert wal_size(database) == 0
        assert leftovers(database, needles) == {}
        # What remains is what the law keeps, precisely: her name once, in the OPCO dossier's
        # trainee name; her pseudonym in the audit log only; no address, phone or message.
        live = in_live_rows(database, needles)
        assert (live[GIVEN], live[FAMILY]) == (1, 1)
        assert (live[EMAIL], live[PHONE], live[MESSAGE]) == (0, 0, 0)
        # Her colleague, her employer and their invoice are untouched.
        assert on_disk(database, [COLLEAGUE, "compta@tonnellerie-fictive"]) == {
            COLLEAGUE: in_live_rows(database, [COLLEAGUE])[COLLEAGUE],
            "compta@tonnellerie-fictive": 2,  # the invoice's billing_email and its index
        }


def test_without_secure_delete_the_erased_rows_stay_in_the_free_space(database: Path) -> None:
    engine = make_engine(f"sqlite:///{database}")

    @event.listens_for(engine, "connect")
    def _off(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA secure_delete = OFF")  # after the engine's own pragmas

    try:
        with held_open(database):
            load(engine, her_document())
            load(engine, message_document())
            needles = [EMAIL, PHONE, MESSAGE]
            erase(engine)
            # The checkpoint emptied the WAL into the file, and the file still reads her.
            assert wal_size(database) == 0
            found = leftovers(database, needles)
            assert set(found) == set(needles), found
            assert all(live == 0 for _, live in found.values())
    finally:
        engine.dispose()


def test_without_a_checkpoint_the_wal_keeps_the_erased_rows(database: Path) -> None:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with held_open(database):
            load(engine, her_document())
            load(engine, message_document())
            needles = [EMAIL, GIVEN, FAMILY, PHONE, MESSAGE, pseudonym_of(database, EMAIL)]
            with UnitOfWork(engine, write=True) as uow:
                erase_subject_rows(
                    uow.connection,
                    subject_keys(EMAIL, LOOKUP),
                    now=FixedClock.on(AS_OF).now(),
                    aggregate=False,
                    held_from={},
                    lookup=LOOKUP.of,
                    financial_year=default_policy().financial_year,
                )
                uow.commit()
            # The rows are gone from every live page, zeroed; the WAL still holds them.
            assert set(leftovers(database, needles)) == set(needles)
            assert on_disk(database, [MESSAGE])[MESSAGE] > 0

            assert scrub_freed_pages(engine) is Scrub.TRUNCATED

            assert wal_size(database) == 0
            assert leftovers(database, needles) == {}
    finally:
        engine.dispose()


def test_a_reader_on_an_old_snapshot_delays_the_scrub_not_the_erasure(
    database: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with held_open(database):
            load(engine, her_document())
            load(engine, message_document())
        needles = [EMAIL, PHONE, MESSAGE]
        with held_open(database, snapshot=True), caplog.at_level(logging.WARNING):
            erase(engine)  # committed, and answered, despite the reader
            assert wal_size(database) > 0
            assert set(leftovers(database, needles)) == set(needles)
        (warning,) = [r for r in caplog.records if r.name == "gardien.store.scrub"]
        assert "older snapshot" in warning.getMessage()
        assert not any(
            part.lower() in warning.getMessage().lower() for part in [EMAIL, GIVEN, FAMILY, PHONE]
        )
        # The reader is gone: the next scrub (the next erasure or sweep) finishes the job.
        with held_open(database):
            assert scrub_freed_pages(engine) is Scrub.TRUNCATED
            assert wal_size(database) == 0
            assert leftovers(database, needles) == {}
    finally:
        engine.dispose()


def test_a_sweep_ends_with_the_wal_truncated(database: Path) -> None:
    engine = make_engine(f"sqlite:///{database}")
    gone = "oscar.fontaine@example.org"
    try:
        with held_open(database):
            load(
                engine,
                document(
                    learners=[learner_doc(gone, "Oscar", "Fontaine", "2022-01-10T09:00:00Z")],
                    statements=statements(gone, 2, last="2022-01-10T09:00:00Z"),
                    contact_messages=[
                        {
                            "name": "Oscar Fontaine",
                            "email": gone,
                            "message": MESSAGE,
                            "received_at": "2022-01-05T09:00:00Z",
                            "last_exchange_at": "2022-01-05T09:00:00Z",
                        }
                    ],
                ),
            )
            needles = [gone, "Fontaine", MESSAGE, pseudonym_of(database, gone)]
            assert wal_size(database) > 0
            assert all(n > 0 for n in on_disk(database, needles).values())

            report = run_sweep(engine, AS_OF)

            assert {r.rule: r.expired for r in report.rules}["learner_data"] == 1
            assert wal_size(database) == 0
            assert leftovers(database, needles) == {}
    finally:
        engine.dispose()


def test_every_sqlite_connection_zeroes_what_it_deletes(database: Path) -> None:
    engine = make_engine(f"sqlite:///{database}")
    try:
        connections = [engine.connect() for _ in range(3)]  # three pooled connections
        for connection in connections:
            assert connection.exec_driver_sql("PRAGMA secure_delete").scalar_one() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            connection.close()
    finally:
        engine.dispose()


def test_scrubbing_truncates_on_sqlite_and_does_nothing_on_postgresql(engine: Engine) -> None:
    expected = Scrub.TRUNCATED if engine.dialect.name == "sqlite" else Scrub.NOT_APPLICABLE
    assert scrub_freed_pages(engine) is expected
    with engine.connect() as connection:
        assert scrub_freed_pages(connection) is expected
        connection.exec_driver_sql("SELECT 1")  # now in a transaction
        if engine.dialect.name == "sqlite":
            with pytest.raises(RuntimeError, match="outside a transaction"):
                scrub_freed_pages(connection)


def test_the_live_rows_count_the_entries_of_an_index_on_an_expression(database: Path) -> None:
    # A StatementRef's id as a client may write it (upper case): the row holds it, the index
    # on lower(object_id) once more; the same id inside an activity's IRI is no index entry.
    target = "0F8E1E4C-2F4B-4B8E-9C33-5A2B7B9D1E01"
    connection = sqlite3.connect(database)
    try:
        for object_id in (target, f"https://example.org/activities/{target}"):
            connection.execute(
                "INSERT INTO activity_statement (statement_id, verb, object_id, timestamp,"
                " stored_at, raw, voided) VALUES (?, 'v', ?, '2026-01-01', '2026-01-01', '{}', 0)",
                (str(uuid.uuid4()), object_id),
            )
        connection.commit()
    finally:
        connection.close()
    assert in_live_rows(database, [target]) == {target: 3}

"""Attachment content on SQLite and PostgreSQL with the files store: kept once per content,
given back, listed in the person's export, and gone with the last statement that uses it (an
erasure, a sweep), checked by a raw scan of the tables and of the blob store's folder; and a
blob's deletion ordered with a request adding a use of the same content."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from gardien.domain.clock import FixedClock
from gardien.domain.xapi.validate import validate_batch
from gardien.policy import load_policy
from gardien.services.erasure import erase_subject
from gardien.services.subject_export import export_subject
from gardien.services.sweep import sweep
from gardien.services.xapi.attachments import (
    attachment_parts,
    drop_unused_blobs,
    keep_attachments,
)
from gardien.services.xapi.clients import Authenticator
from gardien.services.xapi.ingest import store_statements
from gardien.store import xapi as store
from gardien.store.blobs import FileBlobStore
from gardien.store.catalogue import record_catalogue
from gardien.store.tables import activity_statement, xapi_attachment, xapi_blob
from gardien.store.uow import UnitOfWork
from gardien.store.xapi_attachments import add_attachments, attachments_of, unused_blobs
from tests.support.lookup import LOOKUP
from tests.support.xapi_samples import HOME, add_client, basic, email, load_learners, statement

NOW = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
CLOCK = FixedClock(NOW)
CERTIFICATE = b"%PDF-1.7 attestation de fin de formation"
RECORDING = b"\x00\x01 enregistrement audio"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def attachment(content: bytes, content_type: str = "application/pdf") -> dict[str, Any]:
    return {
        "usageType": "http://id.tincanapi.com/attachment/certificate-of-completion",
        "display": {"fr": "Attestation"},
        "contentType": content_type,
        "length": len(content),
        "sha2": sha256(content),
    }


@pytest.fixture
def client(engine: Engine) -> store.Client:
    load_learners(engine)
    found = Authenticator(engine).client(basic(add_client(engine))["Authorization"])
    assert found is not None
    return found


@pytest.fixture
def blobs(tmp_path: Path) -> FileBlobStore:
    return FileBlobStore(tmp_path / "blobs")


def post(
    engine: Engine, client: store.Client, blobs: FileBlobStore, *items: dict[str, Any]
) -> list[str]:
    """Store ``items`` and keep the content of their attachments, as the resource does."""
    statements = validate_batch(list(items))
    stored = store_statements(
        UnitOfWork(engine, write=True),
        statements,
        client=client,
        home_page=HOME,
        clock=CLOCK,
        lookup=LOOKUP,
    )
    parts = {
        a["sha2"]: content
        for content in (CERTIFICATE, RECORDING)
        for s in statements
        for a in s.get("attachments", ())
        if a["sha2"] == sha256(content)
    }
    keep_attachments(engine, blobs, statements, stored.ids, parts, clock=CLOCK)
    return stored.ids


def files(blobs: FileBlobStore) -> set[str]:
    return {path.name for path in blobs.root.glob("*/*")} if blobs.root.exists() else set()


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_content_is_kept_once_and_given_back(
    engine: Engine, client: store.Client, blobs: FileBlobStore
) -> None:
    first = statement("lea", attachments=[attachment(CERTIFICATE), attachment(RECORDING)])
    second = statement("noe", attachments=[attachment(CERTIFICATE, "application/x-pdf")])
    ids = post(engine, client, blobs, first, second)
    assert files(blobs) == {sha256(CERTIFICATE), sha256(RECORDING)}
    assert count(engine, xapi_blob) == 2 and count(engine, xapi_attachment) == 3
    with engine.connect() as connection:
        found = attachments_of(connection, ids)
    assert [(a.statement_id, a.content_type, a.length) for a in found] == [
        (ids[0], "application/pdf", len(CERTIFICATE)),
        (ids[0], "application/pdf", len(RECORDING)),
        (ids[1], "application/x-pdf", len(CERTIFICATE)),
    ]
    parts = attachment_parts(engine, blobs, [{"id": ids[1]}, {"id": ids[0]}])
    # Each content once, in the order of the statements read.
    assert [(p.content_type, p.content) for p in parts] == [
        ("application/x-pdf", CERTIFICATE),
        ("application/pdf", RECORDING),
    ]
    # The same statements again: nothing more is recorded (they are already stored).
    assert post(engine, client, blobs, first, second) == ids
    assert count(engine, xapi_attachment) == 3


def test_a_statement_not_stored_gets_no_attachment(engine: Engine, blobs: FileBlobStore) -> None:
    kept = keep_attachments(
        engine,
        blobs,
        [statement("lea", attachments=[attachment(CERTIFICATE)])],
        ["0b6c7f5e-31d6-4b2b-9d36-2c5e8a9f1e10"],
        {sha256(CERTIFICATE): CERTIFICATE},
        clock=CLOCK,
    )
    assert kept == 0 and files(blobs) == set() and count(engine, xapi_blob) == 0


def test_the_export_lists_a_learners_attachments(
    engine: Engine, client: store.Client, blobs: FileBlobStore
) -> None:
    ids = post(engine, client, blobs, statement("lea", attachments=[attachment(CERTIFICATE)]))
    post(engine, client, blobs, statement("noe", attachments=[attachment(RECORDING)]))
    export = export_subject(
        email("lea"), uow=UnitOfWork(engine), policy=_policy(), clock=CLOCK, lookup=LOOKUP
    )
    records = [
        record
        for category in export["categories"]
        for record in category["records"]
        if record["record"] == "xapi_attachment"
    ]
    assert len(records) == 1
    assert records[0]["fields"] == {
        "statement": ids[0],
        "sha2": sha256(CERTIFICATE),
        "sha256": sha256(CERTIFICATE),
        "content_type": "application/pdf",
    }
    assert records[0]["context"] == {"length": len(CERTIFICATE)}
    assert records[0]["retention"]["rule"] == "learner_data"
    assert export["record_counts"]["xapi_attachment"] == 1


def test_erasure_takes_the_attachments_and_the_content_no_one_else_uses(
    engine: Engine, client: store.Client, blobs: FileBlobStore
) -> None:
    post(engine, client, blobs, statement("lea", attachments=[attachment(CERTIFICATE)]))
    post(engine, client, blobs, statement("lea", attachments=[attachment(RECORDING)]))
    post(engine, client, blobs, statement("noe", attachments=[attachment(CERTIFICATE)]))
    result = erase_subject(
        email("lea"),
        uow=UnitOfWork(engine, write=True),
        policy=_policy(),
        clock=CLOCK,
        lookup=LOOKUP,
        blobs=blobs,
    )
    assert result.erased["xapi_attachment"] == 2 and result.erased["xapi_blob"] == 1
    # Noé's statement still uses the certificate: only the recording went.
    assert files(blobs) == {sha256(CERTIFICATE)}
    assert _raw(engine, "xapi_blob") == [(sha256(CERTIFICATE),)]
    assert len(_raw(engine, "xapi_attachment")) == 1
    erase_subject(
        email("noe"),
        uow=UnitOfWork(engine, write=True),
        policy=_policy(),
        clock=CLOCK,
        lookup=LOOKUP,
        blobs=blobs,
    )
    assert files(blobs) == set()
    assert _raw(engine, "xapi_blob") == [] and _raw(engine, "xapi_attachment") == []


def test_the_sweep_takes_the_content_of_expired_learners(
    engine: Engine, client: store.Client, blobs: FileBlobStore
) -> None:
    post(engine, client, blobs, statement("lea", attachments=[attachment(CERTIFICATE)]))
    later = FixedClock(datetime(2030, 1, 1, tzinfo=UTC))  # past every learner's 18 months
    report = sweep(engine, policy=_policy(), clock=later, lookup=LOOKUP, blobs=blobs)
    learners = next(rule for rule in report.rules if rule.rule == "learner_data")
    assert learners.rows["xapi_attachment"] == 1
    assert files(blobs) == set() and count(engine, xapi_blob) == 0


def test_attachment_rows_go_with_their_statement_whatever_deletes_it(
    engine: Engine, client: store.Client, blobs: FileBlobStore
) -> None:
    ids = post(engine, client, blobs, statement("lea", attachments=[attachment(CERTIFICATE)]))
    with UnitOfWork(engine, write=True) as uow:
        uow.connection.execute(
            activity_statement.delete().where(activity_statement.c.statement_id == ids[0])
        )
        uow.commit()
    assert count(engine, xapi_attachment) == 0  # ON DELETE CASCADE
    assert files(blobs) == {sha256(CERTIFICATE)}  # until the next collection
    assert drop_unused_blobs(engine, blobs) == 1
    assert files(blobs) == set() and count(engine, xapi_blob) == 0


def test_a_new_use_committed_while_the_collection_waits_keeps_the_content(
    engine: Engine, client: store.Client, blobs: FileBlobStore
) -> None:
    old = post(engine, client, blobs, statement("lea", attachments=[attachment(CERTIFICATE)]))
    new = post(engine, client, blobs, statement("noe"))
    _delete_statement(engine, old[0])  # the content is unused now
    collected: list[int] = []
    with UnitOfWork(engine, write=True) as uow:
        # A request gives the unused content a new use, and has not committed yet...
        added = add_attachments(uow.connection, [_use(new[0])], now=NOW)
        assert len(added) == 1
        collector = threading.Thread(
            target=lambda: collected.append(drop_unused_blobs(engine, blobs))
        )
        collector.start()
        time.sleep(0.5)  # ...while the collection starts and waits for it
        assert collector.is_alive()
        uow.commit()
    collector.join(timeout=60)
    assert collected == [0]
    assert files(blobs) == {sha256(CERTIFICATE)} and count(engine, xapi_blob) == 1


def test_a_collection_committed_while_a_request_waits_lets_it_store_the_content_anew(
    engine: Engine, client: store.Client, blobs: FileBlobStore
) -> None:
    old = post(engine, client, blobs, statement("lea", attachments=[attachment(CERTIFICATE)]))
    new = post(engine, client, blobs, statement("noe"))
    _delete_statement(engine, old[0])
    kept: list[int] = []
    sent = statement("noe", attachments=[attachment(CERTIFICATE)], id=new[0])
    with UnitOfWork(engine, write=True) as uow:
        # The collection has deleted the row and the file, and has not committed yet...
        assert unused_blobs(uow.connection) == [sha256(CERTIFICATE)]
        blobs.delete(sha256(CERTIFICATE))
        request = threading.Thread(
            target=lambda: kept.append(
                keep_attachments(
                    engine, blobs, [sent], new, {sha256(CERTIFICATE): CERTIFICATE}, clock=CLOCK
                )
            )
        )
        request.start()
        time.sleep(0.5)  # ...while a request adding a use of the same content waits for it
        assert request.is_alive()
        uow.commit()
    request.join(timeout=60)
    assert kept == [1]
    assert files(blobs) == {sha256(CERTIFICATE)} and count(engine, xapi_blob) == 1
    assert blobs.get(sha256(CERTIFICATE)) == CERTIFICATE


def _use(statement_id: str) -> Any:
    from gardien.store.xapi_attachments import Attachment

    return Attachment(statement_id, sha256(CERTIFICATE), sha256(CERTIFICATE), "application/pdf", 40)


def _delete_statement(engine: Engine, statement_id: str) -> None:
    with UnitOfWork(engine, write=True) as uow:
        uow.connection.execute(
            activity_statement.delete().where(activity_statement.c.statement_id == statement_id)
        )
        uow.commit()


def _raw(engine: Engine, table: str) -> list[Any]:
    column = "sha256" if table == "xapi_blob" else "*"
    with engine.connect() as connection:
        return list(connection.execute(text(f"SELECT {column} FROM {table}")).all())


def _policy() -> Any:
    return load_policy(None, catalogue=record_catalogue())

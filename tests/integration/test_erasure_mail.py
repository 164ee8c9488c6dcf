"""A self-service erasure queues its e-mail in its own transaction, on SQLite and PostgreSQL.

The e-mail and the erasure happen together or not at all; the queued message belongs to no
learner (the learner is gone) and leaves with the outbox rule, like every other e-mail.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from gardien.bootstrap import Container
from gardien.domain.clock import FixedClock
from gardien.errors import UnsupportedLanguageError
from gardien.services import portal
from gardien.services.accounts.context import AccountServices
from gardien.services.erasure import ErasureResult, erase_subject
from gardien.services.erasure_mail import queue_erasure_mail
from gardien.settings import Settings
from gardien.store.accounts import AccountRow, account_by_id
from gardien.store.tables import audit_entry, learner, opco_dossier, outbox_message, subject_request
from gardien.store.uow import UnitOfWork
from tests.support.retention_samples import default_policy, run_sweep
from tests.support.transmission_samples import load_contracts
from tests.support.web import PASSWORD, make_account

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
BOB = "bob.opco@example.org"  # his OPCO dossier outlives the erasure


def services(engine: Engine) -> AccountServices:
    container = Container(
        settings=Settings(), policy=default_policy(), clock=FixedClock(NOW), _engine=engine
    )
    return container.accounts()


def bobs_account(engine: Engine) -> AccountRow:
    load_contracts(engine)
    with engine.connect() as connection:
        bob = connection.execute(select(learner.c.id).where(learner.c.email == BOB)).scalar_one()
    account_id = make_account(engine, email=BOB, role="learner", learner_id=bob, created_at=NOW)
    with engine.connect() as connection:
        found = account_by_id(connection, account_id)
    assert found is not None
    return found


def erase(engine: Engine, found: AccountRow, lang: str) -> portal.SelfErasure:
    return portal.erase_me(
        lambda: UnitOfWork(engine, write=True),
        services(engine),
        found,
        password=PASSWORD,
        lang=lang,
    )


def outbox(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(outbox_message).order_by(outbox_message.c.id)))


def count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
        )


def test_the_erasure_queues_one_email_to_the_erased_address(engine: Engine) -> None:
    erased = erase(engine, bobs_account(engine), "fr")

    [row] = outbox(engine)
    assert (row.kind, row.recipient, row.learner_id) == ("erasure_done", BOB, None)
    assert row.dedupe_key == f"erasure_done:{erased.request.reference}"
    assert row.sent_at is None and row.created_at == NOW
    assert erased.request.reference in row.subject and erased.request.reference in row.body
    assert "Dossier OPCO OPCO-AG-1 — conservation jusqu'au 30/06/2032" in row.body
    # One e-mail: the request is closed without the generic "your request is answered".
    assert erased.request.status == "completed"
    assert count(engine, learner, learner.c.email == BOB) == 0


def test_a_failure_after_queuing_leaves_nothing_erased_nor_queued(engine: Engine) -> None:
    bobs_account(engine)
    tools = services(engine)

    def queue_then_fail(connection: Connection, result: ErasureResult) -> None:
        queue_erasure_mail(
            connection, tools, result=result, reference="DSR-TEST234567", lang="fr", address=BOB
        )
        queued = connection.execute(select(outbox_message)).one()._asdict()
        del queued["id"]
        connection.execute(insert(outbox_message).values(**queued))  # same dedupe key: refused

    with pytest.raises(IntegrityError):
        erase_subject(
            BOB,
            uow=UnitOfWork(engine, write=True),
            policy=tools.policy,
            clock=tools.clock,
            lookup=tools.lookup,
            then=queue_then_fail,
        )

    assert outbox(engine) == []
    assert count(engine, learner, learner.c.email == BOB) == 1
    assert count(engine, opco_dossier, opco_dossier.c.learner_id.is_not(None)) == 1
    assert count(engine, audit_entry, audit_entry.c.action == "subject.erased") == 0


def test_an_unknown_language_is_refused_before_anything_is_done(engine: Engine) -> None:
    found = bobs_account(engine)

    with pytest.raises(UnsupportedLanguageError):
        erase(engine, found, "de")

    assert outbox(engine) == []
    assert count(engine, learner, learner.c.email == BOB) == 1
    assert count(engine, subject_request) == 0


def test_the_queued_email_leaves_with_the_outbox_rule(engine: Engine) -> None:
    erase(engine, bobs_account(engine), "en")
    [row] = outbox(engine)
    assert row.recipient == BOB and row.body.startswith("Hello,")
    rules = default_policy().retention.values()
    months = next(r.months for r in rules if r.record == "outbox_message")
    assert months == 3  # queued 1 June 2026: kept through August, deleted in September

    run_sweep(engine, date(2026, 8, 31))
    assert [r.id for r in outbox(engine)] == [row.id]
    run_sweep(engine, date(2026, 9, 2))
    assert outbox(engine) == []

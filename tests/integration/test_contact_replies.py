"""Answering contact messages: the reply queued in the outbox, kept, and moving the clock.

A reply is an exchange, so the message's retention (the default policy's ``contact_messages``
rule: 18 months after the last exchange) counts from it; marking a message answered by other
means leaves the clock where it was.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from gardien.bootstrap import Container
from gardien.domain.clock import FixedClock
from gardien.errors import InvalidInputError, NotFoundError
from gardien.services import console
from gardien.services.website import contact_replies
from gardien.services.website.contact import receive_message
from gardien.settings import Settings
from gardien.store.tables import audit_entry, contact_message, outbox_message
from gardien.store.uow import UnitOfWork
from tests.support.retention_samples import default_policy, run_sweep

RECEIVED = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
REPLIED = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
AUTHOR = "maelle.question@example.org"
DPO = "dpo:7"


def _site(engine: Engine, at: datetime) -> Any:
    container = Container(
        settings=Settings(), policy=default_policy(), clock=FixedClock(at), _engine=engine
    )
    return container.website()


def _message(engine: Engine, *, lang: str | None, at: datetime = RECEIVED) -> int:
    return receive_message(
        UnitOfWork(engine, write=True),
        name="Maëlle Question",
        email=AUTHOR,
        message="Proposez-vous des cours du soir ?",
        now=at,
        lang=lang,
    )


def _row(engine: Engine, message_id: int) -> Any:
    with engine.connect() as connection:
        return connection.execute(
            select(contact_message).where(contact_message.c.id == message_id)
        ).one()


def _outbox(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(outbox_message).order_by(outbox_message.c.id)))


def _audit(engine: Engine, action: str) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(audit_entry).where(audit_entry.c.action == action)))


@pytest.mark.parametrize(
    ("lang", "subject", "greeting"),
    [
        ("en", "Your message to SEJER: our answer", "Hello Maëlle Question,"),
        ("fr", "Votre message à SEJER : notre réponse", "Bonjour Maëlle Question,"),
        (None, "Votre message à SEJER : notre réponse", "Bonjour Maëlle Question,"),
    ],
)
def test_a_reply_is_queued_in_the_message_language_kept_and_moves_the_clock(
    engine: Engine, lang: str | None, subject: str, greeting: str
) -> None:
    message_id = _message(engine, lang=lang)
    replied = contact_replies.send_reply(
        UnitOfWork(engine, write=True),
        _site(engine, REPLIED),
        message_id,
        text="  Oui, le mardi soir.\n\nBien à vous.  ",
        actor=DPO,
    )
    assert replied.reply == "Oui, le mardi soir.\n\nBien à vous."
    assert replied.answered and replied.answered_at == REPLIED
    row = _row(engine, message_id)
    assert row.replied_at == REPLIED
    assert row.last_exchange_at == REPLIED
    assert row.received_at == RECEIVED
    [mail] = _outbox(engine)
    assert mail.kind == "contact_reply"
    assert mail.recipient == AUTHOR
    assert mail.subject == subject
    assert mail.body.startswith(greeting)
    assert "Oui, le mardi soir." in mail.body
    assert "Proposez-vous des cours du soir ?" in mail.body  # the message, quoted
    [entry] = _audit(engine, "contact.replied")
    assert entry.actor == DPO
    assert entry.details["message"] == message_id
    assert "@" not in json.dumps(entry.details)


def test_an_empty_or_second_reply_sends_nothing(engine: Engine) -> None:
    message_id = _message(engine, lang="fr")
    site = _site(engine, REPLIED)
    with pytest.raises(InvalidInputError) as empty:
        contact_replies.send_reply(
            UnitOfWork(engine, write=True), site, message_id, text=" \n ", actor=DPO
        )
    assert empty.value.field == "reply"
    with pytest.raises(InvalidInputError):
        contact_replies.send_reply(
            UnitOfWork(engine, write=True), site, message_id, text="x" * 5001, actor=DPO
        )
    assert _outbox(engine) == []
    assert not _row(engine, message_id).answered_at
    contact_replies.send_reply(
        UnitOfWork(engine, write=True), site, message_id, text="Oui.", actor=DPO
    )
    with pytest.raises(InvalidInputError, match="reply already"):
        contact_replies.send_reply(
            UnitOfWork(engine, write=True), site, message_id, text="Encore.", actor=DPO
        )
    assert len(_outbox(engine)) == 1
    assert _row(engine, message_id).reply == "Oui."
    with pytest.raises(NotFoundError):
        contact_replies.send_reply(
            UnitOfWork(engine, write=True), site, message_id + 99, text="Oui.", actor=DPO
        )


def test_marking_answered_keeps_the_clock_and_is_audited_once(engine: Engine) -> None:
    message_id = _message(engine, lang="fr")
    for _ in range(2):
        marked = contact_replies.mark_answered(
            UnitOfWork(engine, write=True), message_id, actor=DPO, now=REPLIED
        )
        assert marked.answered_at == REPLIED and marked.reply is None
    row = _row(engine, message_id)
    assert row.last_exchange_at == RECEIVED
    assert len(_audit(engine, "contact.answered")) == 1
    assert _outbox(engine) == []


def test_the_console_lists_answered_and_unanswered_messages_apart(engine: Engine) -> None:
    answered = _message(engine, lang="fr")
    waiting = _message(engine, lang="en", at=datetime(2026, 2, 1, 9, 0, tzinfo=UTC))
    contact_replies.mark_answered(UnitOfWork(engine, write=True), answered, actor=DPO, now=REPLIED)

    def shown(flag: bool | None) -> list[int]:
        found = console.view_messages(
            UnitOfWork(engine, write=True), actor=DPO, now=REPLIED, answered=flag
        )
        return [message.id for message in found]

    assert shown(None) == [waiting, answered]
    assert shown(True) == [answered]
    assert shown(False) == [waiting]


def test_the_reply_keeps_the_message_18_months_from_the_reply(engine: Engine) -> None:
    message_id = _message(engine, lang="fr")
    contact_replies.send_reply(
        UnitOfWork(engine, write=True), _site(engine, REPLIED), message_id, text="Oui.", actor=DPO
    )
    # 18 months after the message arrived (10 July 2027) it is still kept: the reply of
    # 1 June 2026 is the last exchange, which keeps it to 1 December 2027.
    run_sweep(engine, date(2027, 7, 20))
    assert _row(engine, message_id).reply == "Oui."
    run_sweep(engine, date(2027, 12, 2))
    with engine.connect() as connection:
        left = connection.execute(
            select(contact_message.c.id).where(contact_message.c.id == message_id)
        ).all()
    assert left == []

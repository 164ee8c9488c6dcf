"""Answering contact messages from the DPO console: marked answered, or replied to by e-mail.

A message is *answered* once the DPO says so, whether by the reply written here or by other
means (a telephone call, their own mailbox). Marking it answered does not move its retention
clock: when that other exchange happened is not known, and a guess would only keep the message
longer. A *reply* written here is an exchange with the person: it is queued in the outbox (in
the language of the page the message came from, French when unknown), kept on the message, and
moves ``last_exchange_at``, the clock of the policy's contact-message rule, to when it was sent.
The reply is then erased or swept with its message, under the same rule.

One reply per message: a person who writes back uses the form again, which makes a new
message. Every step is audited by the message's id, never by the person's address.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from gardien.errors import InvalidInputError, NotFoundError
from gardien.i18n import DEFAULT_LANGUAGE, SUPPORTED
from gardien.services.website.contact import ContactMessage, message_by_id
from gardien.services.website.newsletter import Site
from gardien.services.website.render import render
from gardien.store.audit import append_audit
from gardien.store.outbox import NewMessage, queue_messages
from gardien.store.tables import contact_message
from gardien.store.uow import UnitOfWork

REPLY_MAIL = "contact_reply"
MAX_REPLY = 5000
ANSWERED = "contact.answered"
REPLIED = "contact.replied"
VIEWED = "console.message_viewed"


def reply_language(message: ContactMessage) -> str:
    """The language a reply to ``message`` is written in: the message's own when known."""
    return message.lang if message.lang in SUPPORTED else DEFAULT_LANGUAGE


def read_message(uow: UnitOfWork, message_id: int, *, actor: str, now: datetime) -> ContactMessage:
    """One message for the DPO; the reading is audited. :class:`NotFoundError` if none."""
    with uow:
        found = message_by_id(uow.connection, message_id)
        if found is None:
            raise NotFoundError("no such message")
        append_audit(
            uow.connection,
            action=VIEWED,
            actor=actor,
            details={"message": message_id},
            recorded_at=now,
        )
        uow.commit()
    return found


def _locked(connection: Connection, message_id: int) -> ContactMessage:
    query = select(contact_message.c.id).where(contact_message.c.id == message_id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    if connection.execute(query).first() is None:
        raise NotFoundError("no such message")
    found = message_by_id(connection, message_id)
    assert found is not None  # locked just above
    return found


def mark_answered(uow: UnitOfWork, message_id: int, *, actor: str, now: datetime) -> ContactMessage:
    """Mark a message answered (by other means than a reply from here); commits.

    Marking it again changes nothing and writes nothing. The retention clock stays.
    """
    with uow:
        found = _locked(uow.connection, message_id)
        if found.answered:
            return found
        uow.connection.execute(
            update(contact_message)
            .where(contact_message.c.id == message_id)
            .values(answered_at=now)
        )
        append_audit(
            uow.connection,
            action=ANSWERED,
            actor=actor,
            details={"message": message_id},
            recorded_at=now,
        )
        uow.commit()
        answered = message_by_id(uow.connection, message_id)
    assert answered is not None
    return answered


def send_reply(
    uow: UnitOfWork, site: Site, message_id: int, *, text: str, actor: str
) -> ContactMessage:
    """Send ``text`` to the message's author by e-mail, keep it, mark the message answered.

    :class:`InvalidInputError` (field ``reply``) for an empty or too long text, or a message
    that has its reply already. The e-mail is queued in the same transaction: no reply is kept
    that is not sent, and none sent that is not kept. Moves ``last_exchange_at`` to now.
    """
    text = text.strip()
    if not text:
        raise InvalidInputError("write the reply", field="reply")
    if len(text) > MAX_REPLY:
        raise InvalidInputError(f"at most {MAX_REPLY:,} characters", field="reply")
    now = site.clock.now()
    with uow:
        found = _locked(uow.connection, message_id)
        if found.reply is not None:
            raise InvalidInputError("this message has its reply already", field="reply")
        lang = reply_language(found)
        context = {
            "controller_name": site.policy.controller.name,
            "name": found.name,
            "reply": text,
            "message": found.message,
            "notice_url": site.notice_url(lang),
        }
        queue_messages(
            uow.connection,
            [
                NewMessage(
                    dedupe_key=f"{REPLY_MAIL}:{message_id}",
                    kind=REPLY_MAIL,
                    recipient=found.email,
                    subject=" ".join(render("contact_reply.subject.j2", lang, context).split()),
                    body=render("contact_reply.body.j2", lang, context).rstrip() + "\n",
                    send_after=now,
                )
            ],
            now=now,
        )
        uow.connection.execute(
            update(contact_message)
            .where(contact_message.c.id == message_id)
            .values(
                reply=text,
                replied_at=now,
                answered_at=found.answered_at or now,
                last_exchange_at=now,
            )
        )
        append_audit(
            uow.connection,
            action=REPLIED,
            actor=actor,
            details={"message": message_id, "lang": lang},
            recorded_at=now,
        )
        uow.commit()
        replied = message_by_id(uow.connection, message_id)
    assert replied is not None
    return replied

"""The contact form's messages: checked, stored under the policy's contact-message rule.

A message is a contact message like those imported (``contact_message``): its clock is the
last exchange, here its arrival. The honeypot and the rate limits are the web layer's
(:mod:`gardien.web.contact_pages`): what reaches this module is a message a person sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from gardien.errors import BusyError, InvalidInputError
from gardien.services.website.newsletter import normalise_email
from gardien.store.tables import contact_message
from gardien.store.uow import UnitOfWork

MAX_NAME = 200
MAX_MESSAGE = 5000
# How many microseconds a message may be moved on when its address already has one then.
SAME_INSTANT_TRIES = 50


@dataclass(frozen=True)
class ContactMessage:
    """A stored message, as staff read it."""

    id: int
    name: str
    email: str
    message: str
    received_at: datetime


def receive_message(uow: UnitOfWork, *, name: str, email: str, message: str, now: datetime) -> int:
    """Store a message sent through the form; its id. :class:`InvalidInputError` if unusable."""
    name = " ".join(name.split())
    message = message.strip()
    if not name:
        raise InvalidInputError("a name is required", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInputError(f"at most {MAX_NAME} characters", field="name")
    address = normalise_email(email)
    if not message:
        raise InvalidInputError("a message is required", field="message")
    if len(message) > MAX_MESSAGE:
        raise InvalidInputError(f"at most {MAX_MESSAGE} characters", field="message")
    with uow:
        # Two messages from one address in the same microsecond (a double click, a fixed clock)
        # are two messages: the second is filed a microsecond later rather than refused by the
        # table's (email, received_at) key, which keeps imports idempotent.
        at = now
        for _attempt in range(SAME_INSTANT_TRIES):
            try:
                with uow.connection.begin_nested():
                    message_id = uow.connection.execute(
                        insert(contact_message)
                        .values(
                            name=name,
                            email=address,
                            message=message,
                            received_at=at,
                            last_exchange_at=at,
                        )
                        .returning(contact_message.c.id)
                    ).scalar_one()
                break
            except IntegrityError:
                at += timedelta(microseconds=1)
        else:
            raise BusyError("too many messages from this address at once: try again")
        uow.commit()
    return int(message_id)


def list_messages(connection: Connection, *, limit: int = 100) -> list[ContactMessage]:
    """The latest messages, newest first, for staff."""
    c = contact_message.c
    rows = connection.execute(
        select(c.id, c.name, c.email, c.message, c.received_at)
        .order_by(c.received_at.desc(), c.id.desc())
        .limit(limit)
    )
    return [ContactMessage(*row) for row in rows]

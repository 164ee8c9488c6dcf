"""The contact form's messages: checked, stored under the policy's contact-message rule.

A message is a contact message like those imported (``contact_message``): its clock is the
last exchange, here its arrival, later the reply sent from the console
(:mod:`gardien.services.website.contact_replies`). The honeypot and the rate limits are the web
layer's (:mod:`gardien.web.contact_pages`): what reaches this module is a message a person sent.
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
    # The language of the page it was sent from (None: imported, or sent before it was kept).
    lang: str | None = None
    answered_at: datetime | None = None
    reply: str | None = None
    replied_at: datetime | None = None

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


def receive_message(
    uow: UnitOfWork,
    *,
    name: str,
    email: str,
    message: str,
    now: datetime,
    lang: str | None = None,
) -> int:
    """Store a message sent through the form; its id. :class:`InvalidInputError` if unusable.

    ``lang``: the language of the form's page, which a reply from the console is written in.
    """
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
                            lang=lang,
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


def list_messages(
    connection: Connection, *, limit: int = 100, answered: bool | None = None
) -> list[ContactMessage]:
    """The latest messages, newest first, for staff; only the (un)answered ones if asked."""
    c = contact_message.c
    query = select(*MESSAGE_COLUMNS).order_by(c.received_at.desc(), c.id.desc()).limit(limit)
    if answered is not None:
        query = query.where(c.answered_at.is_not(None) if answered else c.answered_at.is_(None))
    return [ContactMessage(*row) for row in connection.execute(query)]


def message_by_id(connection: Connection, message_id: int) -> ContactMessage | None:
    """One message, or None when there is no such message (any more)."""
    row = connection.execute(
        select(*MESSAGE_COLUMNS).where(contact_message.c.id == message_id)
    ).first()
    return ContactMessage(*row) if row is not None else None


# In the order of :class:`ContactMessage`'s fields.
MESSAGE_COLUMNS = tuple(
    contact_message.c[name]
    for name in (
        "id",
        "name",
        "email",
        "message",
        "received_at",
        "lang",
        "answered_at",
        "reply",
        "replied_at",
    )
)

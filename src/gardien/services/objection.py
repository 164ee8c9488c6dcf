"""Objection to commercial communication (GDPR art. 21(2)-(3)): it stops at once, for good.

The commercial contact kept about a former learner rests on legitimate interest; the newsletter
on consent. An objection deletes both for the address now, and is recorded as a completed
request: the retention engine reads those requests and never again copies the address into a
commercial contact when the person's account expires (``store/retention/learners.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete

from gardien.errors import InvalidInputError, RequestStateError
from gardien.services.accounts.context import AccountServices
from gardien.services.requests import RequestView, close_row, open_request_row, record_request
from gardien.store.erasure_applied import lineage_of, mark_applied
from gardien.store.erasure_ledger import OBJECTION, new_entry
from gardien.store.retention import rowcount
from gardien.store.tables import commercial_contact, newsletter_subscription, outbox_message
from gardien.store.uow import UnitOfWork


def object_to_commercial(
    uow: UnitOfWork,
    services: AccountServices,
    *,
    actor: str,
    email: str | None = None,
    reference: str | None = None,
    lang: str = "fr",
) -> RequestView:
    """Stop commercial communication; record the request, or close the open one. Commits.

    A signed-in person gives ``email`` (their account's): a completed request is recorded.
    The DPO gives ``reference``, an open objection filed by e-mail link: the address is the
    request's own, and the deletions and the closing are one transaction.

    With a ledger, the objection is first written there (keyed lookups of the address), then
    recorded applied with it, as an erasure is: a restored backup cannot undo it unseen
    (docs/backups.md).
    """
    now = services.now()
    entries: list[str] = []
    if services.ledger is not None:
        with uow:
            address, check = _objector(uow.connection, email=email, reference=reference)
        entry = new_entry(
            now=now,
            lookups=tuple(services.lookup.candidates(address)),
            kind=OBJECTION,
            identity_check=check,
        )
        services.ledger.append(lineage_of(uow.engine), entry)
        entries.append(entry.id)
    with uow:
        connection = uow.connection
        row = None
        if reference is not None:
            row = open_request_row(connection, reference)
            if row.kind != "objection":
                raise RequestStateError("this request is not an objection")
            address = row.email
        elif email is not None:
            address = email.strip().lower()
        else:
            raise InvalidInputError("an objection needs an address or a request")
        outcome = {"stopped": True, "removed": _stop(connection, address)}
        mark_applied(connection, entries, now=now)
        if row is None:
            view = record_request(
                connection,
                now=now,
                email=address,
                kind="objection",
                identity_check="session",
                completed_with=outcome,
                actor=actor,
                region=services.policy.controller.holiday_region,
            )
        else:
            view = close_row(
                connection,
                services,
                row,
                status="completed",
                outcome=outcome,
                actor=actor,
                lang=lang,
            )
        uow.commit()
    return view


def _objector(
    connection: Connection, *, email: str | None, reference: str | None
) -> tuple[str, str]:
    """The address that objects, and how it was proved the person's (read before the ledger)."""
    if reference is not None:
        row = open_request_row(connection, reference)
        if row.kind != "objection":
            raise RequestStateError("this request is not an objection")
        return row.email, "email_link"
    if email is not None:
        return email.strip().lower(), "session"
    raise InvalidInputError("an objection needs an address or a request")


def object_again(
    connection: Connection,
    *,
    address: str,
    identity_check: str,
    recorded_at: datetime,
    actor: str,
    region: str | None,
) -> None:
    """Re-apply, after a restore, an objection the ledger holds: stop commercial communication
    to ``address`` and record the completed objection the retention engine reads."""
    outcome = {"stopped": True, "removed": _stop(connection, address), "replayed": True}
    record_request(
        connection,
        now=recorded_at,
        email=address,
        kind="objection",
        identity_check=identity_check,
        completed_with=outcome,
        actor=actor,
        region=region,
    )


def _stop(connection: Connection, address: str) -> dict[str, int]:
    """Delete the commercial contact and the subscription; withdraw unsent newsletters."""
    return {
        "commercial_contact": rowcount(
            connection.execute(
                delete(commercial_contact).where(commercial_contact.c.email == address)
            )
        ),
        "newsletter_subscription": rowcount(
            connection.execute(
                delete(newsletter_subscription).where(newsletter_subscription.c.email == address)
            )
        ),
        "outbox_message": rowcount(
            connection.execute(
                delete(outbox_message).where(
                    outbox_message.c.recipient == address,
                    outbox_message.c.kind == "newsletter",
                    outbox_message.c.sent_at.is_(None),
                )
            )
        ),
    }

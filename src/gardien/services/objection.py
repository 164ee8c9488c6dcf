"""Objection to commercial communication (GDPR art. 21(2)-(3)): it stops at once, for good.

The commercial contact kept about a former learner rests on legitimate interest; the newsletter
on consent. An objection deletes both for the address now, and is recorded as a completed
request: the retention engine reads those requests and never again copies the address into a
commercial contact when the person's account expires (``store/retention/learners.py``).
"""

from __future__ import annotations

from sqlalchemy import delete

from gardien.services.accounts.context import AccountServices
from gardien.services.requests import RequestView, close_request, record_request
from gardien.store.retention import rowcount
from gardien.store.tables import commercial_contact, newsletter_subscription, outbox_message
from gardien.store.uow import UnitOfWork


def object_to_commercial(
    uow: UnitOfWork,
    services: AccountServices,
    *,
    email: str,
    actor: str,
    identity_check: str = "session",
    reference: str | None = None,
) -> RequestView:
    """Stop commercial communication to ``email``; record (or close) the request. Commits.

    With ``reference``, the open request of that reference is closed (the DPO carries out an
    objection filed by e-mail link); otherwise a new request is recorded completed.
    """
    address = email.strip().lower()
    now = services.now()
    with uow:
        connection = uow.connection
        removed = {
            "commercial_contact": rowcount(
                connection.execute(
                    delete(commercial_contact).where(commercial_contact.c.email == address)
                )
            ),
            "newsletter_subscription": rowcount(
                connection.execute(
                    delete(newsletter_subscription).where(
                        newsletter_subscription.c.email == address
                    )
                )
            ),
            # Newsletters queued and not sent yet are withdrawn too.
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
        outcome = {"stopped": True, "removed": removed}
        if reference is None:
            view = record_request(
                connection,
                now=now,
                email=address,
                kind="objection",
                identity_check=identity_check,
                completed_with=outcome,
                actor=actor,
            )
            uow.commit()
            return view
        uow.commit()
    return close_request(
        UnitOfWork(uow.engine, write=True),
        services,
        reference=reference,
        status="completed",
        outcome=outcome,
        actor=actor,
    )

"""Erasing the records that are not learners: one statement per batch, by id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Table, case, delete, update

from gardien.domain.vocabulary import RetentionAction
from gardien.store.retention import rowcount
from gardien.store.statement_names import delete_statements
from gardien.store.tables import (
    account,
    activity_statement,
    commercial_contact,
    contact_message,
    contract,
    disclosure,
    disclosure_subject,
    export_link,
    invoice,
    newsletter_subscription,
    opco_dossier,
    outbox_message,
    sponsor,
    sponsor_contact,
    subject_request,
    throttle_counter,
    web_session,
    xapi_document,
)

ANONYMISED_NAME = "anonymised"

# Records with no aggregate worth keeping: "anonymise" removes them as "delete" does, since
# nothing of them survives without a link to a person.
_DELETED_BY_ID: dict[str, Table] = {
    table.name: table
    for table in (
        commercial_contact,
        sponsor_contact,
        invoice,
        opco_dossier,
        newsletter_subscription,
        contact_message,
        outbox_message,
        xapi_document,
        account,
        web_session,
        throttle_counter,
    )
}


def erase_records(
    connection: Connection,
    record: str,
    ids: Sequence[int],
    *,
    action: RetentionAction,
    now: datetime,
) -> dict[str, int]:
    """Apply ``action`` to the rows ``ids`` of ``record``; rows affected per table."""
    if record == "sponsor":
        return _erase_sponsors(connection, ids, action=action, now=now)
    if record == "disclosure":
        # The people of a transmission go with it.
        people = connection.execute(
            delete(disclosure_subject).where(disclosure_subject.c.disclosure_id.in_(ids))
        )
        gone = connection.execute(delete(disclosure).where(disclosure.c.id.in_(ids)))
        return {"disclosure": rowcount(gone), "disclosure_subject": rowcount(people)}
    if record == "subject_request":
        # The download links sent to answer a request go with it (with_records).
        links = connection.execute(delete(export_link).where(export_link.c.request_id.in_(ids)))
        gone = connection.execute(delete(subject_request).where(subject_request.c.id.in_(ids)))
        counts = {"subject_request": rowcount(gone)}
        return counts | ({"export_link": rowcount(links)} if rowcount(links) else {})
    if record == "activity_statement":  # statements of no learner, with the agents they name
        deleted = delete_statements(connection, activity_statement.c.id.in_(ids))
        return {"activity_statement": len(deleted)}
    table = _DELETED_BY_ID[record]
    return {record: rowcount(connection.execute(delete(table).where(table.c.id.in_(ids))))}


def _erase_sponsors(
    connection: Connection, ids: Sequence[int], *, action: RetentionAction, now: datetime
) -> dict[str, int]:
    if action is RetentionAction.ANONYMISE:
        # An organisation's name is not personal data; an individual's is.
        changed = connection.execute(
            update(sponsor)
            .where(sponsor.c.id.in_(ids))
            .values(
                name=case((sponsor.c.kind == "individual", ANONYMISED_NAME), else_=sponsor.c.name),
                email=None,
                address=None,
                anonymised_at=now,
            )
        )
        return {"sponsor (anonymised)": rowcount(changed)}
    detached = connection.execute(
        update(contract).where(contract.c.sponsor_id.in_(ids)).values(sponsor_id=None)
    )
    contacts = connection.execute(
        delete(sponsor_contact).where(sponsor_contact.c.sponsor_id.in_(ids))
    )
    gone = connection.execute(delete(sponsor).where(sponsor.c.id.in_(ids)))
    rows = {
        "contract (detached)": rowcount(detached),
        "sponsor_contact": rowcount(contacts),
        "sponsor": rowcount(gone),
    }
    return {name: count for name, count in rows.items() if count}

"""Find and erase what one person (an e-mail address) has, for an erasure request."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, delete, or_, select, update

from gardien.domain.financial_year import FinancialYear
from gardien.domain.xapi.pseudonyms import forget
from gardien.store.retention import rowcount
from gardien.store.retention.learners import Lookup, erase_learners
from gardien.store.retention.records import ANONYMISED_NAME
from gardien.store.statement_names import delete_statements, forget_names
from gardien.store.subject_queries import SubjectKeys, unlinked_statements
from gardien.store.tables import (
    commercial_contact,
    contact_message,
    invoice,
    learner,
    newsletter_subscription,
    opco_dossier,
    outbox_message,
    sponsor,
    sponsor_contact,
    xapi_document,
)


@dataclass(frozen=True)
class HeldRow:
    """A row a legal duty keeps: its record kind, a key a person can read, its clock reading."""

    record: str
    key: str
    clock_value: date


@dataclass
class SubjectErasure:
    """What erasing one address did: rows per table, pseudonyms for the audit, rows kept."""

    rows: Counter[str] = field(default_factory=Counter)
    subjects: list[str] = field(default_factory=list)
    held: list[HeldRow] = field(default_factory=list)
    # The erased learners' pseudonyms (also among ``subjects``): what logs name them by.
    pseudonyms: list[str] = field(default_factory=list)


def erase_subject_rows(
    connection: Connection,
    keys: SubjectKeys,
    *,
    now: datetime,
    aggregate: bool,
    held_from: Mapping[str, date],
    lookup: Lookup,
    financial_year: FinancialYear,
) -> SubjectErasure:
    """Erase everything erasable held about the person of ``keys``; list the rows a legal duty
    keeps, which carry the keyed ``lookup`` of the address from then on.

    ``held_from`` gives, per held record kind (``invoice``, ``opco_dossier``), the first clock
    day its rule still keeps: older rows are past their legal period and are erased too. An
    invoice's clock reads the close of its financial year (``financial_year``, the policy's).
    """
    email = keys.email
    result = SubjectErasure()
    learner_ids = _learners_of(connection, email)
    for dossier_id, reference, training_end in connection.execute(_dossiers_of(keys, learner_ids)):
        if _still_held(held_from, "opco_dossier", training_end):
            result.held.append(HeldRow("opco_dossier", reference, training_end))
        else:
            connection.execute(delete(opco_dossier).where(opco_dossier.c.id == dossier_id))
            result.rows["opco_dossier"] += 1
    if learner_ids:
        erased = erase_learners(
            connection, learner_ids, now=now, aggregate=aggregate, lookup=lookup
        )
        result.rows.update(erased.rows)
        result.subjects.extend(erased.pseudonyms)
        result.pseudonyms.extend(erased.pseudonyms)
    # xAPI documents stored under the person's keyed pseudonyms (a learner's went with them).
    documents = list(
        connection.execute(
            select(xapi_document.c.id).where(xapi_document.c.agent_name.in_(keys.agent_names))
        ).scalars()
    )
    if documents:
        connection.execute(delete(xapi_document).where(xapi_document.c.id.in_(documents)))
        result.rows["xapi_document"] += len(documents)
        result.subjects.extend(f"xapi_document:{i}" for i in documents)
    # xAPI statements of no learner whose actor is the person: theirs, deleted. Anyone else's
    # that names them (as instructor, a group's member...) keeps a placeholder in their place.
    names = list(keys.agent_names)
    if names:
        gone = delete_statements(connection, unlinked_statements(names))
        if gone:
            result.rows["activity_statement"] += len(gone)
            result.subjects.extend(f"activity_statement:{i}" for i in gone)
        changed = forget_names(connection, names, lambda raw: forget(raw, names))
        if changed:
            result.rows["activity_statement (person replaced)"] += changed
    for table, condition in (
        (sponsor_contact, sponsor_contact.c.email == email),
        (newsletter_subscription, newsletter_subscription.c.email == email),
        (contact_message, contact_message.c.email == email),
        (
            commercial_contact,
            or_(
                commercial_contact.c.email == email,
                commercial_contact.c.subject_lookup.in_(keys.lookups),
            ),
        ),
        (outbox_message, outbox_message.c.recipient == email),
    ):
        ids = list(connection.execute(select(table.c.id).where(condition)).scalars())
        if ids:
            result.rows[table.name] += rowcount(
                connection.execute(delete(table).where(table.c.id.in_(ids)))
            )
            result.subjects.extend(f"{table.name}:{i}" for i in ids)
    # A sponsor is referenced by contracts: an individual is anonymised in place; an
    # organisation only loses the address, which was this person's.
    for sponsor_id, kind in connection.execute(
        select(sponsor.c.id, sponsor.c.kind).where(sponsor.c.email == email)
    ):
        values: dict[str, object] = {"email": None}
        if kind == "individual":
            values.update(name=ANONYMISED_NAME, address=None, anonymised_at=now)
        connection.execute(update(sponsor).where(sponsor.c.id == sponsor_id).values(**values))
        result.rows["sponsor (anonymised)" if kind == "individual" else "sponsor (e-mail)"] += 1
        result.subjects.append(f"sponsor:{sponsor_id}")
    # Invoices keep their billing snapshot: the accounting duty outweighs erasure. The keyed
    # lookup lets the person find them even when a policy's hold drops the address.
    mark = lookup(email)
    for invoice_id, number, issued_on, found_by in connection.execute(_invoices_of(keys)):
        year_close = financial_year.close_of(issued_on)
        if _still_held(held_from, "invoice", year_close):
            result.held.append(HeldRow("invoice", number, year_close))
            if found_by != mark:
                connection.execute(
                    update(invoice).where(invoice.c.id == invoice_id).values(subject_lookup=mark)
                )
        else:
            connection.execute(delete(invoice).where(invoice.c.id == invoice_id))
            result.rows["invoice"] += 1
    return result


def held_subject_rows(
    connection: Connection,
    keys: SubjectKeys,
    *,
    held_from: Mapping[str, date],
    financial_year: FinancialYear,
) -> list[HeldRow]:
    """The rows :func:`erase_subject_rows` would keep, read without changing anything: what
    an erasure form tells the person before they confirm."""
    held = []
    learner_ids = _learners_of(connection, keys.email)
    for _id, reference, training_end in connection.execute(_dossiers_of(keys, learner_ids)):
        if _still_held(held_from, "opco_dossier", training_end):
            held.append(HeldRow("opco_dossier", reference, training_end))
    for _id, number, issued_on, _found_by in connection.execute(_invoices_of(keys)):
        year_close = financial_year.close_of(issued_on)
        if _still_held(held_from, "invoice", year_close):
            held.append(HeldRow("invoice", number, year_close))
    return held


def _learners_of(connection: Connection, email: str) -> list[int]:
    return list(connection.execute(select(learner.c.id).where(learner.c.email == email)).scalars())


def _dossiers_of(keys: SubjectKeys, learner_ids: list[int]) -> Select[Any]:
    """The person's OPCO dossiers. They outlive the learner, reduced to their own snapshot
    (their rule's hold); one already detached by an earlier purge is found by its keyed lookup."""
    mine: ColumnElement[bool] = opco_dossier.c.learner_id.in_(learner_ids)
    if keys.lookups:
        detached = and_(
            opco_dossier.c.learner_id.is_(None), opco_dossier.c.subject_lookup.in_(keys.lookups)
        )
        mine = or_(mine, detached)
    return select(
        opco_dossier.c.id, opco_dossier.c.agreement_reference, opco_dossier.c.training_end
    ).where(mine)


def _invoices_of(keys: SubjectKeys) -> Select[Any]:
    """The invoices billed to the person, or found by the keyed lookup of their address."""
    return select(
        invoice.c.id, invoice.c.number, invoice.c.issued_on, invoice.c.subject_lookup
    ).where(or_(invoice.c.billing_email == keys.email, invoice.c.subject_lookup.in_(keys.lookups)))


def _still_held(held_from: Mapping[str, date], record: str, clock_day: date) -> bool:
    # A record no rule holds is kept as before (the caller explains it); one whose rule's
    # period has ended is erased like everything else.
    threshold = held_from.get(record)
    return threshold is None or clock_day >= threshold

"""Erasing learners: identity and everything that hangs on it, in a few set-based statements.

What a legal duty or the policy keeps is not in here: invoices carry their own snapshot and
no link to the learner; OPCO dossiers are detached (their snapshot stays, under their own
clock); the commercial contact is copied out to ``commercial_contact`` before the learner goes.
Contact-form messages sent from the learner's address go with the learner, whatever their own
clock says: the notice promises that a learner's data goes 18 months after their last activity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, delete, func, insert, select, update

from gardien.domain.xapi.pseudonyms import address_identifier, forget
from gardien.store.retention import rowcount
from gardien.store.statement_names import delete_statements, forget_names
from gardien.store.tables import (
    account,
    activity_count,
    activity_statement,
    commercial_contact,
    contact_message,
    contract,
    contract_learner,
    cpf_dossier,
    disclosure_subject,
    enrolment,
    learner,
    module_progress,
    opco_dossier,
    outbox_message,
    statement_agent,
    subject_request,
    web_session,
    xapi_document,
)
from gardien.store.xapi_attachments import delete_learner_attachments

# Rows that cannot exist without their learner, deleted with it (children first).
_DEPENDENTS: tuple[Table, ...] = (
    activity_statement,
    enrolment,
    contract_learner,
    cpf_dossier,
    outbox_message,
    xapi_document,
)


@dataclass(frozen=True)
class CommercialKeep:
    """Keep the e-mail and last contract reference of learners whose last contract ended on or
    after ``since`` (the commercial-contact rule's threshold)."""

    since: date


# The keyed lookup of an address (``SubjectLookup.of``): written on what outlives a learner.
Lookup = Callable[[str], str]


@dataclass(frozen=True)
class ErasedLearners:
    """What erasing a set of learners did: rows per table and the pseudonyms, for the audit."""

    rows: dict[str, int]
    pseudonyms: list[str]


def erase_learners(
    connection: Connection,
    ids: Sequence[int],
    *,
    now: datetime,
    lookup: Lookup,
    commercial: CommercialKeep | None = None,
    aggregate: bool = False,
) -> ErasedLearners:
    """Erase the learners ``ids`` and their dependent rows, in the caller's transaction.

    What outlives them (a detached OPCO dossier, their entries in the disclosure log, the
    commercial contact) gets the keyed ``lookup`` of their address, so that the person can
    still find it (docs/subject-lookup.md).
    """
    rows: Counter[str] = Counter()
    found = connection.execute(
        select(learner.c.id, learner.c.pseudonym, learner.c.email).where(learner.c.id.in_(ids))
    ).all()
    if not found:
        return ErasedLearners({}, [])
    ids = [row.id for row in found]
    if commercial is not None:
        rows["commercial_contact"] += _keep_commercial_contacts(
            connection, {row.id: row.email for row in found}, commercial, now, lookup
        )
    if aggregate:
        rows["activity_count"] += _aggregate_activity(connection, ids)
    enrolments = select(enrolment.c.id).where(enrolment.c.learner_id.in_(ids))
    rows["module_progress"] += rowcount(
        connection.execute(
            delete(module_progress).where(module_progress.c.enrolment_id.in_(enrolments))
        )
    )
    rows["xapi_attachment"] += delete_learner_attachments(connection, ids)
    rows.update(_forget_in_statements(connection, found, lookup))
    for table in _DEPENDENTS:
        rows[table.name] += rowcount(
            connection.execute(delete(table).where(table.c.learner_id.in_(ids)))
        )
    # Contact-form messages are linked by address, not by id: they go with the learner too.
    rows["contact_message"] += rowcount(
        connection.execute(
            delete(contact_message).where(contact_message.c.email.in_([row.email for row in found]))
        )
    )
    lookups = {row.id: lookup(row.email) for row in found}
    rows["opco_dossier (detached)"] += _detach_opco_dossiers(connection, lookups)
    _mark_disclosures(connection, {row.pseudonym: lookups[row.id] for row in found})
    # The account and its sessions: signing in is over for an erased learner, on every worker.
    accounts = select(account.c.id).where(account.c.learner_id.in_(ids))
    rows["web_session"] += rowcount(
        connection.execute(delete(web_session).where(web_session.c.account_id.in_(accounts)))
    )
    rows["account"] += rowcount(
        connection.execute(delete(account).where(account.c.learner_id.in_(ids)))
    )
    rows["learner"] += rowcount(connection.execute(delete(learner).where(learner.c.id.in_(ids))))
    return ErasedLearners(
        {name: count for name, count in rows.items() if count},
        sorted(row.pseudonym for row in found),
    )


def _forget_in_statements(
    connection: Connection, found: Sequence[Any], lookup: Lookup
) -> Counter[str]:
    """The learners' statements lose the agents they name (deleted with them next); statements
    of no learner whose actor is one of them go; anyone else's that names them keeps a
    placeholder in their place (their pseudonym, or the keyed one of their address under the
    current key: a subject erasure also looks under retired keys)."""
    rows: Counter[str] = Counter()
    ids = [row.id for row in found]
    theirs = select(activity_statement.c.statement_id).where(
        activity_statement.c.learner_id.in_(ids)
    )
    connection.execute(delete(statement_agent).where(statement_agent.c.statement_id.in_(theirs)))
    names = [row.pseudonym for row in found]
    names += [lookup(address_identifier(row.email)) for row in found]
    s = activity_statement.c
    gone = delete_statements(connection, and_(s.learner_id.is_(None), s.actor_name.in_(names)))
    rows["activity_statement"] += len(gone)
    changed = forget_names(connection, names, lambda raw: forget(raw, names))
    rows["activity_statement (person replaced)"] += changed
    return rows


def _detach_opco_dossiers(connection: Connection, lookups: dict[int, str]) -> int:
    """Cut the dossiers from their learners, leaving the keyed lookup of each address."""
    held = connection.execute(
        select(opco_dossier.c.id, opco_dossier.c.learner_id).where(
            opco_dossier.c.learner_id.in_(list(lookups))
        )
    ).all()
    if not held:
        return 0
    connection.execute(
        update(opco_dossier)
        .where(opco_dossier.c.id == bindparam("dossier"))
        .values(learner_id=None, subject_lookup=bindparam("lookup")),
        [{"dossier": row.id, "lookup": lookups[row.learner_id]} for row in held],
    )
    return len(held)


def _mark_disclosures(connection: Connection, lookups: dict[str, str]) -> None:
    """Let the person find, by address, who received their data once the pseudonym is gone."""
    listed = connection.execute(
        select(disclosure_subject.c.pseudonym)
        .where(disclosure_subject.c.pseudonym.in_(list(lookups)))
        .distinct()
    ).scalars()
    marks = [{"name": name, "lookup": lookups[name]} for name in listed]
    if marks:
        connection.execute(
            update(disclosure_subject)
            .where(disclosure_subject.c.pseudonym == bindparam("name"))
            .values(subject_lookup=bindparam("lookup")),
            marks,
        )


def _keep_commercial_contacts(
    connection: Connection,
    emails: dict[int, str],
    keep: CommercialKeep,
    now: datetime,
    lookup: Lookup,
) -> int:
    latest: dict[int, tuple[date, str]] = {}
    contracts = connection.execute(
        select(contract_learner.c.learner_id, contract.c.ends_on, contract.c.reference)
        .join(contract, contract.c.id == contract_learner.c.contract_id)
        .where(contract_learner.c.learner_id.in_(list(emails)))
    )
    for learner_id, ends_on, reference in contracts:
        if learner_id not in latest or (ends_on, reference) > latest[learner_id]:
            latest[learner_id] = (ends_on, reference)
    # A person who objected to commercial communication is never kept for it (art. 21(3)).
    objected = set(
        connection.execute(
            select(subject_request.c.email).where(
                subject_request.c.email.in_(list(emails.values())),
                subject_request.c.kind == "objection",
                subject_request.c.status == "completed",
            )
        ).scalars()
    )
    kept = [
        {
            "email": emails[lid],
            "contract_reference": ref,
            "last_contract_end": end,
            "created_at": now,
            "subject_lookup": lookup(emails[lid]),
        }
        for lid, (end, ref) in latest.items()
        if end >= keep.since and emails[lid] not in objected
    ]
    if not kept:
        return 0
    # A former learner kept once already (an earlier account with the same address) is replaced.
    connection.execute(
        delete(commercial_contact).where(commercial_contact.c.email.in_([k["email"] for k in kept]))
    )
    connection.execute(insert(commercial_contact), kept)
    return len(kept)


def _aggregate_activity(connection: Connection, ids: Sequence[int]) -> int:
    """Fold the learners' statements into counts per activity, verb and month."""
    month = _month_of(connection, activity_statement.c.timestamp)
    counted = connection.execute(
        select(
            activity_statement.c.object_id,
            activity_statement.c.verb,
            month.label("month"),
            func.count().label("n"),
        )
        .where(activity_statement.c.learner_id.in_(ids))
        .group_by(activity_statement.c.object_id, activity_statement.c.verb, month)
    ).all()
    for object_id, verb, first_day, n in counted:
        day = first_day if isinstance(first_day, date) else date.fromisoformat(str(first_day)[:10])
        key = (
            (activity_count.c.object_id == object_id)
            & (activity_count.c.verb == verb)
            & (activity_count.c.month == day)
        )
        changed = connection.execute(
            update(activity_count).where(key).values(statements=activity_count.c.statements + n)
        )
        if not rowcount(changed):
            connection.execute(
                insert(activity_count).values(
                    object_id=object_id, verb=verb, month=day, statements=n
                )
            )
    return len(counted)


def _month_of(connection: Connection, column: Any) -> Any:
    if connection.dialect.name == "postgresql":
        return func.date(func.date_trunc("month", func.timezone("UTC", column)))
    return func.strftime("%Y-%m-01", column)

"""Read everything held about one person, found by e-mail address: the store side of a DSR.

Rows come back whole (every column, by name) with what makes them readable without database
ids: the natural key behind each foreign key, a few facts of the rows they point to, and the
readings of the retention clocks that apply to them. Deciding what is personal, and under
which category, purpose and rule, is the service's job (it reads ``Column.info``).

A learner's row also says what of it outlives the account in another record: when a learner
expires, the retention engine (``store/retention/learners.py``) copies their e-mail and the
reference of their last contract into ``commercial_contact``, if the commercial period of
that contract still runs. The rows that hold those values carry it in ``carried``, with the
reading the new record's clock would have, so that the export can tell the person now.

Addresses are stored lower-cased (a CHECK constraint on every e-mail column guarantees it), so
the lookup lowers the address asked for and matches by plain, indexed equality. Records that
outlived their learner (a detached OPCO dossier, a kept invoice, a commercial contact) are
found by keyed lookup (``SubjectKeys``), never by an address kept for the purpose; xAPI
statements that name the person without being a learner's own, by the keyed pseudonyms of
their address (domain/xapi/pseudonyms.py) and the learner's pseudonym: those whose actor they
are (no learner is linked to them), and anyone's that names them elsewhere (an instructor, a
group's member, the object).

A learner's activity statements can run to hundreds of thousands: they are not among the rows
found here but counted (:func:`count_statements`) and read in batches
(:func:`stream_statements`), so that an export streams them with flat memory. The statements
found here are the few a person is named in otherwise: those of no learner go within the month
of their rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Table, and_, func, or_, select, union

from gardien.domain.financial_year import FinancialYear
from gardien.store.statement_names import named_elsewhere
from gardien.store.tables import (
    account,
    activity_statement,
    commercial_contact,
    contact_message,
    contract,
    contract_learner,
    cpf_dossier,
    enrolment,
    invoice,
    learner,
    learning_module,
    learning_path,
    module_progress,
    newsletter_subscription,
    opco_dossier,
    outbox_message,
    sponsor,
    sponsor_contact,
    subject_request,
    xapi_client,
)
from gardien.store.xapi_attachments import learner_attachments
from gardien.store.xapi_documents import documents_of

ClockReading = date | datetime | None
ClockKey = tuple[str, str]  # (record, clock), as a retention rule names them
# Adds facts of referenced rows to each found row (a path's title, a contract's dates).
_Describer = Callable[[Connection, list[Mapping[str, Any]]], list[dict[str, Any]]]


@dataclass(frozen=True)
class SubjectRow:
    """One row held about the subject.

    ``record`` is the table name (the policy's record kind); ``values`` every column of the
    row; ``references`` the natural key (contract reference, path code, ...) behind each
    foreign-key column; ``context`` facts of the rows it refers to (a path's title, a
    contract's dates); ``clocks`` the reading of every retention clock that can apply to the
    row, its own and its owner's, and that of the records in ``carried``; ``carried`` the
    columns of this row whose values erasing it copies into another kind of record, by that
    record (a learner's ``email`` into ``commercial_contact``).
    """

    record: str
    values: Mapping[str, Any]
    references: Mapping[str, str | None] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)
    clocks: Mapping[ClockKey, ClockReading] = field(default_factory=dict)
    carried: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class SubjectKeys:
    """How records name one person: the address, and the keyed lookups derived from it.

    ``lookups`` are the keyed lookups of the address (under the current and retired keys);
    ``agent_names`` the keyed pseudonyms an xAPI agent naming the address (``mbox`` or
    ``mbox_sha1sum``) is stored under, under the same keys.
    """

    email: str
    lookups: tuple[str, ...] = ()
    agent_names: tuple[str, ...] = ()


def find_subject_rows(
    connection: Connection, keys: SubjectKeys, *, financial_year: FinancialYear
) -> list[SubjectRow]:
    """Every row that holds data about the person, in a stable order, but their statements.

    A learner's statements are counted and streamed apart (``store/subject_statements.py``);
    invoices run on the close of ``financial_year`` in which they were issued.
    """
    key = keys.email.strip().lower()
    rows: list[SubjectRow] = []
    learners = _matching(connection, learner, learner.c.email, key)
    for found in learners:
        rows.extend(_learner_rows(connection, found, key))
    rows.extend(_detached_dossiers(connection, keys.lookups))
    for found in _rows(
        connection,
        commercial_contact,
        or_(
            commercial_contact.c.email == key,
            commercial_contact.c.subject_lookup.in_(keys.lookups),
        ),
    ):
        clocks = {("commercial_contact", "last_contract_end"): found["last_contract_end"]}
        rows.append(SubjectRow("commercial_contact", found, clocks=clocks))
    rows.extend(_sponsor_rows(connection, key))
    rows.extend(_contact_rows(connection, key))
    invoices = _rows(
        connection,
        invoice,
        or_(invoice.c.billing_email == key, invoice.c.subject_lookup.in_(keys.lookups)),
    )
    for found, refs in zip(invoices, _references(connection, invoice, invoices), strict=True):
        clocks = {("invoice", "financial_year_close"): financial_year.close_of(found["issued_on"])}
        rows.append(SubjectRow("invoice", found, refs, clocks=clocks))
    for found in _matching(
        connection, newsletter_subscription, newsletter_subscription.c.email, key
    ):
        clocks = {("newsletter_subscription", "unsubscribed"): found["unsubscribed_at"]}
        rows.append(SubjectRow("newsletter_subscription", found, clocks=clocks))
    for found in _matching(connection, contact_message, contact_message.c.email, key):
        clocks = {("contact_message", "last_exchange"): found["last_exchange_at"]}
        rows.append(SubjectRow("contact_message", found, clocks=clocks))
    rows.extend(_outbox_rows(connection, key, [found["id"] for found in learners]))
    rows.extend(_account_rows(connection, key))
    # The person's own requests: the proof that they were answered (accountability).
    for found in _matching(connection, subject_request, subject_request.c.email, key):
        clocks = {("subject_request", "closed"): found["closed_at"]}
        rows.append(SubjectRow("subject_request", found, clocks=clocks))
    rows.extend(_document_rows(connection, keys, learners))
    pseudonyms = [str(found["pseudonym"]) for found in learners]
    rows.extend(_statement_rows(connection, [*keys.agent_names, *pseudonyms], learners))
    return rows


def _detached_dossiers(connection: Connection, lookups: Sequence[str]) -> list[SubjectRow]:
    """OPCO dossiers kept under their legal duty after their learner went (by keyed lookup)."""
    if not lookups:
        return []
    found = _rows(
        connection,
        opco_dossier,
        and_(opco_dossier.c.learner_id.is_(None), opco_dossier.c.subject_lookup.in_(lookups)),
    )
    references = _references(connection, opco_dossier, found)
    return [
        SubjectRow("opco_dossier", values, refs, clocks={_TRAINING_END: values["training_end"]})
        for values, refs in zip(found, references, strict=True)
    ]


_TRAINING_END = ("opco_dossier", "training_end")


def unlinked_statements(names: Sequence[str]) -> Any:
    """The statements of no learner whose actor is stored under one of ``names``."""
    s = activity_statement.c
    return and_(s.learner_id.is_(None), s.actor_name.in_(list(names)))


def _statement_rows(
    connection: Connection, names: Sequence[str], learners: list[Mapping[str, Any]]
) -> list[SubjectRow]:
    """The statements naming the person that are no learner's of theirs: of no learner with
    them as actor, or anyone's naming them elsewhere; each with its own clock."""
    if not names:
        return []
    s = activity_statement.c
    own = [found["id"] for found in learners]
    # One indexed query per way a statement names the person, their ids united: PostgreSQL
    # answers an OR of the two (one holds a subquery) by reading the whole table, seconds at
    # ten million statements for a person with none there (docs/scaling.md).
    named = union(
        select(s.id).where(unlinked_statements(names)),
        select(s.id).where(s.statement_id.in_(named_elsewhere(names))),
    )
    where: ColumnElement[bool] = s.id.in_(named)
    if own:
        where = and_(where, or_(s.learner_id.is_(None), s.learner_id.not_in(own)))
    found = _rows(connection, activity_statement, where, order=(s.stored_at, s.id))
    owners = {
        row.id: row.last_activity_at
        for row in connection.execute(
            select(learner.c.id, learner.c.last_activity_at).where(
                learner.c.id.in_({v["learner_id"] for v in found if v["learner_id"] is not None})
            )
        )
    }
    clients = {
        row.id: row.name for row in connection.execute(select(xapi_client.c.id, xapi_client.c.name))
    }
    rows = []
    for values in found:
        owner = values["learner_id"]
        # Someone else's statement lives by its learner's clock; one of no learner by its own.
        clocks: dict[ClockKey, ClockReading] = (
            {_UNLINKED: values["stored_at"]}
            if owner is None
            else {("learner", "last_activity"): owners[owner]}
        )
        # The learner a statement is linked to is someone else: never named, not even by key.
        refs = {"learner_id": None, "client_id": clients.get(values["client_id"])}
        rows.append(SubjectRow("activity_statement", values, refs, clocks=clocks))
    return rows


_UNLINKED = ("activity_statement", "unlinked")


def _document_rows(
    connection: Connection, keys: SubjectKeys, learners: Sequence[Mapping[str, Any]]
) -> list[SubjectRow]:
    """xAPI documents about the person: their learner's, and those under their keyed
    pseudonyms (``store/xapi_documents.py``). A learner's live by the learner's clock."""
    last_activity = {row["id"]: row["last_activity_at"] for row in learners}
    found = documents_of(connection, learner_ids=list(last_activity), names=keys.agent_names)
    rows = []
    for values in found:
        owner = values["learner_id"]
        clocks: dict[ClockKey, ClockReading] = (
            {("learner", "last_activity"): last_activity[owner]}
            if owner in last_activity
            else {("xapi_document", "last_change"): values["updated_at"]}
        )
        rows.append(SubjectRow("xapi_document", values, clocks=clocks))
    return rows


def _account_rows(connection: Connection, key: str) -> list[SubjectRow]:
    """The account at the address: a learner's lives by the learner's clock, others by theirs."""
    rows = []
    found = _matching(connection, account, account.c.email, key)
    for values, refs in zip(found, _references(connection, account, found), strict=True):
        clocks: dict[ClockKey, ClockReading]
        if values["learner_id"] is not None:
            last = connection.execute(
                select(learner.c.last_activity_at).where(learner.c.id == values["learner_id"])
            ).scalar_one()
            clocks = {("learner", "last_activity"): last}
        else:
            used = values["last_sign_in_at"] or values["created_at"]
            clocks = {("account", "last_sign_in"): used}
        rows.append(SubjectRow("account", values, refs, clocks=clocks))
    return rows


def _matching(
    connection: Connection, table: Table, column: Any, key: str
) -> list[Mapping[str, Any]]:
    return _rows(connection, table, column == key)


def _rows(
    connection: Connection, table: Table, where: Any, *, order: Sequence[Any] = ()
) -> list[Mapping[str, Any]]:
    """Whole rows of ``table`` matching ``where``, by primary key unless told otherwise."""
    ordering = order or tuple(table.primary_key.columns)
    result = connection.execute(select(table).where(where).order_by(*ordering))
    return [row._asdict() for row in result]


# -- learners and what hangs off them ---------------------------------------------------------


def _objected(connection: Connection, key: str) -> bool:
    """Whether the person's objection to commercial communication is on record (art. 21(3))."""
    found = connection.execute(
        select(subject_request.c.id)
        .where(
            subject_request.c.email == key,
            subject_request.c.kind == "objection",
            subject_request.c.status == "completed",
        )
        .limit(1)
    ).first()
    return found is not None


def _learner_rows(connection: Connection, found: Mapping[str, Any], key: str) -> list[SubjectRow]:
    learner_id = found["id"]
    # The last contract as the retention engine picks it: latest end, then highest reference.
    last_contract = connection.execute(
        select(contract.c.id, contract.c.ends_on)
        .join(contract_learner, contract_learner.c.contract_id == contract.c.id)
        .where(contract_learner.c.learner_id == learner_id)
        .order_by(contract.c.ends_on.desc(), contract.c.reference.desc())
        .limit(1)
    ).first()
    # Rows kept "with the learner" run on the learner's clocks; the commercial contact that
    # expiry would create runs from the last contract's end.
    clocks: dict[ClockKey, ClockReading] = {("learner", "last_activity"): found["last_activity_at"]}
    carried: dict[str, tuple[str, ...]] = {}
    # After an objection, expiry keeps nothing for commercial contact (the retention engine
    # reads the same objection, store/retention/learners.py): nothing is announced as kept.
    carries = last_contract is not None and not _objected(connection, key)
    if last_contract is not None:
        clocks[("commercial_contact", "last_contract_end")] = last_contract.ends_on
    if carries:
        carried = {"commercial_contact": ("email",)}
    rows = [SubjectRow("learner", found, clocks=clocks, carried=carried)]

    enrolments = _rows(connection, enrolment, enrolment.c.learner_id == learner_id)
    rows += _with_refs(connection, enrolment, enrolments, clocks, _path_titles)
    enrolment_ids = [row["id"] for row in enrolments]
    progress = _rows(connection, module_progress, module_progress.c.enrolment_id.in_(enrolment_ids))
    rows += _with_refs(connection, module_progress, progress, clocks, _module_titles)
    memberships = _rows(connection, contract_learner, contract_learner.c.learner_id == learner_id)
    facts = partial(_contract_facts, subject=key)
    rows += [
        replace(row, carried={"commercial_contact": ("contract_id",)})
        if carries and last_contract is not None and row.values["contract_id"] == last_contract.id
        else row
        for row in _with_refs(connection, contract_learner, memberships, clocks, facts)
    ]
    cpf = _rows(connection, cpf_dossier, cpf_dossier.c.learner_id == learner_id)
    rows += _with_refs(connection, cpf_dossier, cpf, clocks)
    for found_opco in _rows(connection, opco_dossier, opco_dossier.c.learner_id == learner_id):
        own = {**clocks, ("opco_dossier", "training_end"): found_opco["training_end"]}
        rows += _with_refs(connection, opco_dossier, [found_opco], own)
    rows += _attachment_rows(connection, learner_id, clocks)
    return rows


def _attachment_rows(
    connection: Connection, learner_id: int, clocks: Mapping[ClockKey, ClockReading]
) -> list[SubjectRow]:
    """The attachments of the learner's statements: which statement, the content's hashes,
    type and length (the content is in the blob store)."""
    rows = []
    for values in learner_attachments(connection, learner_id):
        length = values.pop("length")
        refs = {"statement_id": values["statement_id"], "sha256": values["sha256"]}
        rows.append(SubjectRow("xapi_attachment", values, refs, {"length": length}, clocks))
    return rows


def _outbox_rows(connection: Connection, key: str, learner_ids: list[int]) -> list[SubjectRow]:
    """E-mails the platform queued or sent to the address, or about one of the learners."""
    found = _rows(
        connection,
        outbox_message,
        or_(outbox_message.c.recipient == key, outbox_message.c.learner_id.in_(learner_ids)),
        order=(outbox_message.c.created_at, outbox_message.c.id),
    )
    return [
        SubjectRow("outbox_message", row, clocks={("outbox_message", "created"): row["created_at"]})
        for row in found
    ]


def _with_refs(
    connection: Connection,
    table: Table,
    found: list[Mapping[str, Any]],
    clocks: Mapping[ClockKey, ClockReading],
    describe: _Describer | None = None,
) -> list[SubjectRow]:
    references = _references(connection, table, found)
    contexts = describe(connection, found) if describe else [{} for _ in found]
    return [
        SubjectRow(table.name, values, refs, context, clocks)
        for values, refs, context in zip(found, references, contexts, strict=True)
    ]


# -- sponsors and their contacts --------------------------------------------------------------


def _sponsor_rows(connection: Connection, key: str) -> list[SubjectRow]:
    rows = []
    for found in _matching(connection, sponsor, sponsor.c.email, key):
        end = _last_contract_end(connection, found["id"])
        rows.append(SubjectRow("sponsor", found, clocks={("sponsor", "last_contract_end"): end}))
    return rows


def _contact_rows(connection: Connection, key: str) -> list[SubjectRow]:
    found = _matching(connection, sponsor_contact, sponsor_contact.c.email, key)
    rows = []
    for values, refs in zip(found, _references(connection, sponsor_contact, found), strict=True):
        end = _last_contract_end(connection, values["sponsor_id"])
        owner = connection.execute(
            select(sponsor.c.name, sponsor.c.kind).where(sponsor.c.id == values["sponsor_id"])
        ).one()
        clocks = {
            ("sponsor_contact", "last_contract_end"): end,
            ("sponsor", "last_contract_end"): end,
        }
        context = {"sponsor_name": owner.name, "sponsor_kind": owner.kind}
        rows.append(SubjectRow("sponsor_contact", values, refs, context, clocks))
    return rows


def _last_contract_end(connection: Connection, sponsor_id: int) -> date | datetime:
    """The sponsor's clock, as the sweep reads it: latest contract end, else its creation."""
    end: date | None = connection.execute(
        select(func.max(contract.c.ends_on)).where(contract.c.sponsor_id == sponsor_id)
    ).scalar()
    if end is not None:
        return end
    created: datetime = connection.execute(
        select(sponsor.c.created_at).where(sponsor.c.id == sponsor_id)
    ).scalar_one()
    return created


# -- natural keys and context -----------------------------------------------------------------

# How a row of each referenced table is named outside the database (the import's natural keys).
_NATURAL_KEY: dict[str, Any] = {
    "learner": learner.c.email,
    "contract": contract.c.reference,
    "learning_path": learning_path.c.code,
    "learning_module": learning_module.c.code,
    "sponsor": sponsor.c.ref,
    "sponsor_contact": sponsor_contact.c.email,
    # Statements received by the LRS name the software that sent them.
    "xapi_client": xapi_client.c.name,
}


def _key_query(target: str, ids: Iterable[int]) -> Select[Any]:
    if target == "enrolment":  # an enrolment is named by its path (one per learner and path)
        return (
            select(enrolment.c.id, learning_path.c.code)
            .join(learning_path, learning_path.c.id == enrolment.c.path_id)
            .where(enrolment.c.id.in_(list(ids)))
        )
    table = _NATURAL_KEY[target].table
    return select(table.c.id, _NATURAL_KEY[target]).where(table.c.id.in_(list(ids)))


def _references(
    connection: Connection, table: Table, found: list[Mapping[str, Any]]
) -> list[dict[str, str | None]]:
    """For each row, the natural key behind each of its foreign-key columns."""
    result: list[dict[str, str | None]] = [{} for _ in found]
    for column in table.columns:
        for fk in column.foreign_keys:
            ids = {row[column.name] for row in found if row[column.name] is not None}
            names: dict[int, str] = {}
            if ids:
                query = _key_query(fk.column.table.name, sorted(ids))
                names = {row[0]: row[1] for row in connection.execute(query)}
            for row, refs in zip(found, result, strict=True):
                refs[column.name] = names.get(row[column.name])
    return result


def _path_titles(connection: Connection, found: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    titles = _titles(connection, learning_path, [row["path_id"] for row in found])
    return [{"path_title": titles.get(row["path_id"])} for row in found]


def _module_titles(connection: Connection, found: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    titles = _titles(connection, learning_module, [row["module_id"] for row in found])
    return [{"module_title": titles.get(row["module_id"])} for row in found]


def _titles(connection: Connection, table: Table, ids: list[int]) -> dict[int, str]:
    query = select(table.c.id, table.c.title).where(table.c.id.in_(sorted(set(ids))))
    return {row.id: row.title for row in connection.execute(query)}


def _contract_facts(
    connection: Connection, found: list[Mapping[str, Any]], *, subject: str
) -> list[dict[str, Any]]:
    """What a learner may read about a contract they belong to.

    An organisation sponsor is named, and so is the learner when they paid themself; another
    individual sponsor (a parent paying for a student) is a third party, so only the kind is
    given: an access request does not disclose someone else's identity (GDPR art. 15(4)).
    """
    query = (
        select(
            contract.c.id,
            contract.c.funding_type,
            contract.c.signed_on,
            contract.c.starts_on,
            contract.c.ends_on,
            learning_path.c.code.label("path"),
            sponsor.c.kind.label("sponsor_kind"),
            sponsor.c.name.label("sponsor_name"),
            sponsor.c.email.label("sponsor_email"),
        )
        .outerjoin(learning_path, learning_path.c.id == contract.c.path_id)
        .outerjoin(sponsor, sponsor.c.id == contract.c.sponsor_id)
        .where(contract.c.id.in_([row["contract_id"] for row in found]))
    )
    facts = {row.id: row._asdict() for row in connection.execute(query)}
    result = []
    for row in found:
        fact = dict(facts[row["contract_id"]])
        fact.pop("id")
        email = fact.pop("sponsor_email")
        is_subject = email is not None and email.lower() == subject
        if fact["sponsor_kind"] != "organisation" and not is_subject:
            fact["sponsor_name"] = None
        result.append(fact)
    return result

"""Reading what a transmission may hold, and logging what it held.

:func:`read_records` selects **only** the columns named by an allowance (``table.column``
fields, plus the columns of its categories), starting from the rows the allowance is about:

- CPF dossiers of the contract when a ``cpf_dossier`` field is allowed;
- else OPCO dossiers of the contract when an ``opco_dossier`` field is allowed;
- else the learners the contract covers.

Learner, contract, sponsor and invoice fields are joined to those rows. The ``learning_path``
category adds each learner's enrolments under the contract with their modules' progress. Keys
that never leave (ids, pseudonyms) are read under names starting with ``_``; callers drop them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Column, Connection, Table, and_, insert, or_, select

from gardien.errors import DisclosureRefusedError, NotFoundError
from gardien.store.classify import classify
from gardien.store.tables import (
    contract,
    contract_learner,
    cpf_dossier,
    disclosure,
    disclosure_subject,
    enrolment,
    invoice,
    learner,
    learning_module,
    learning_path,
    metadata,
    module_progress,
    opco_dossier,
    sponsor,
)

LEARNING_PATH = "learning_path"
# What names an enrolment and a module to the recipient: catalogue labels, no personal data.
PATH_CONTEXT = ("learning_path.code", "learning_path.title")
MODULE_CONTEXT = ("learning_module.code", "learning_module.title")
# Tables whose fields a transmission can carry (joined to the rows it is about).
_REACHABLE: dict[str, Table] = {
    t.name: t for t in (learner, contract, sponsor, cpf_dossier, opco_dossier, invoice)
}


@dataclass(frozen=True)
class ContractRow:
    """The contract a transmission is about."""

    id: int
    reference: str
    funding_type: str
    sponsor_ref: str | None


def find_contract(connection: Connection, reference: str) -> ContractRow:
    """The contract ``reference``; :class:`NotFoundError` if there is none."""
    row = connection.execute(
        select(contract.c.id, contract.c.reference, contract.c.funding_type, sponsor.c.ref)
        .select_from(contract.outerjoin(sponsor, sponsor.c.id == contract.c.sponsor_id))
        .where(contract.c.reference == reference)
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no contract {reference!r}")
    return ContractRow(*row)


def sponsor_contracts(
    connection: Connection, sponsor_ref: str, *, start: date, end: date
) -> list[ContractRow]:
    """The contracts of sponsor ``sponsor_ref`` that run at some point in ``[start, end]``."""
    found = connection.execute(select(sponsor.c.id).where(sponsor.c.ref == sponsor_ref))
    sponsor_id = found.scalar_one_or_none()
    if sponsor_id is None:
        raise NotFoundError(f"no sponsor {sponsor_ref!r}")
    rows = connection.execute(
        select(contract.c.id, contract.c.reference, contract.c.funding_type)
        .where(
            contract.c.sponsor_id == sponsor_id,
            contract.c.starts_on <= end,
            contract.c.ends_on >= start,
        )
        .order_by(contract.c.starts_on, contract.c.reference)
    )
    return [ContractRow(row.id, row.reference, row.funding_type, sponsor_ref) for row in rows]


def category_fields(category: str) -> tuple[str, ...]:
    """The columns of ``category`` a recipient can be sent: every column classified under it,
    but foreign keys (internal ids, meaningless outside)."""
    return tuple(
        f"{table.name}.{column.name}"
        for table in metadata.sorted_tables
        for column in table.columns
        if classify(column).category == category and not column.foreign_keys
    )


def _column(field: str) -> Column[Any]:
    table_name, _, column_name = field.partition(".")
    table = _REACHABLE.get(table_name)
    if table is None or column_name not in table.c:
        raise DisclosureRefusedError(f"the policy names a field no transmission reaches: {field}")
    return table.c[column_name]


def _base(fields: Sequence[str]) -> Table:
    tables = {field.partition(".")[0] for field in fields}
    if "cpf_dossier" in tables:
        return cpf_dossier
    if "opco_dossier" in tables:
        return opco_dossier
    return contract_learner


def read_records(
    connection: Connection, contract_id: int, *, fields: Sequence[str], categories: Sequence[str]
) -> list[dict[str, Any]]:
    """One record per row the allowance is about, holding only the allowed fields.

    Each record also has ``_pseudonym`` (the learner's, or None for an OPCO dossier whose
    learner was erased) and ``_base_id``: the caller logs the first and drops both.
    """
    scalar = [f for f in fields if f.partition(".")[0] != "invoice"]
    base = _base(scalar)
    columns = [_column(field).label(field) for field in scalar]
    joined: Any = base.join(contract, contract.c.id == base.c.contract_id)
    joined = joined.outerjoin(learner, learner.c.id == base.c.learner_id)
    if any(f.startswith("sponsor.") for f in scalar):
        joined = joined.outerjoin(sponsor, sponsor.c.id == contract.c.sponsor_id)
    for dossier in (cpf_dossier, opco_dossier):
        # A field of the other kind of dossier: the person's dossier under the same contract.
        if dossier is not base and any(f.startswith(f"{dossier.name}.") for f in scalar):
            joined = joined.outerjoin(
                dossier,
                and_(
                    dossier.c.contract_id == base.c.contract_id,
                    dossier.c.learner_id == base.c.learner_id,
                ),
            )
    query = (
        select(
            base.c.learner_id.label("_learner_id"),
            learner.c.pseudonym.label("_pseudonym"),
            *columns,
        )
        .select_from(joined)
        .where(base.c.contract_id == contract_id)
        .order_by(base.c.learner_id)
    )
    records = [dict(row._mapping) for row in connection.execute(query)]
    invoice_fields = [f for f in fields if f.partition(".")[0] == "invoice"]
    if invoice_fields:
        _add_invoices(connection, contract_id, invoice_fields, records)
    if LEARNING_PATH in categories:
        _add_learning_paths(connection, contract_id, records)
    return records


def _add_invoices(
    connection: Connection, contract_id: int, fields: list[str], records: list[dict[str, Any]]
) -> None:
    columns = [_column(field).label(field) for field in fields]
    rows = connection.execute(
        select(*columns).where(invoice.c.contract_id == contract_id).order_by(invoice.c.issued_on)
    ).all()
    for field in fields:
        values = [row._mapping[field] for row in rows]
        for record in records:
            record[field] = values


def _add_learning_paths(
    connection: Connection, contract_id: int, records: list[dict[str, Any]]
) -> None:
    path_fields = [f for f in category_fields(LEARNING_PATH) if f.startswith("enrolment.")]
    module_fields = [f for f in category_fields(LEARNING_PATH) if f.startswith("module_progress.")]
    learners = [r["_learner_id"] for r in records if r["_learner_id"] is not None]
    enrolments = connection.execute(
        select(
            enrolment.c.id.label("_id"),
            enrolment.c.learner_id.label("_learner_id"),
            *(learning_path.c[f.partition(".")[2]].label(f) for f in PATH_CONTEXT),
            *(enrolment.c[f.partition(".")[2]].label(f) for f in path_fields),
        )
        .select_from(enrolment.join(learning_path, learning_path.c.id == enrolment.c.path_id))
        .where(enrolment.c.contract_id == contract_id, enrolment.c.learner_id.in_(learners))
        .order_by(enrolment.c.id)
    ).all()
    modules = connection.execute(
        select(
            module_progress.c.enrolment_id.label("_enrolment_id"),
            *(learning_module.c[f.partition(".")[2]].label(f) for f in MODULE_CONTEXT),
            *(module_progress.c[f.partition(".")[2]].label(f) for f in module_fields),
        )
        .select_from(
            module_progress.join(
                learning_module, learning_module.c.id == module_progress.c.module_id
            )
        )
        .where(module_progress.c.enrolment_id.in_([e._id for e in enrolments]))
        .order_by(module_progress.c.enrolment_id, learning_module.c.position)
    ).all()
    by_enrolment: dict[int, list[dict[str, Any]]] = {}
    for module in modules:
        values = dict(module._mapping)
        by_enrolment.setdefault(values.pop("_enrolment_id"), []).append(values)
    by_learner: dict[int, list[dict[str, Any]]] = {}
    for row in enrolments:
        values = dict(row._mapping)
        enrolment_id, learner_id = values.pop("_id"), values.pop("_learner_id")
        values["modules"] = by_enrolment.get(enrolment_id, [])
        by_learner.setdefault(learner_id, []).append(values)
    for record in records:
        record[LEARNING_PATH] = by_learner.get(record["_learner_id"], [])


@dataclass(frozen=True)
class DisclosureEntry:
    """One contract's part of a transmission, as the log keeps it."""

    contract_reference: str
    funding_type: str
    recipient: str
    legal_basis: str
    fields: list[str]
    pseudonyms: list[str]
    subjects: int


def log_disclosures(
    connection: Connection,
    entries: Iterable[DisclosureEntry],
    *,
    transmitted_at: datetime,
    payload_format: str,
    payload_sha256: str,
    actor: str,
) -> list[int]:
    """Insert one ``disclosure`` row per entry, with its subjects; their ids."""
    ids = []
    for entry in entries:
        disclosure_id = connection.execute(
            insert(disclosure)
            .values(
                transmitted_at=transmitted_at,
                contract_reference=entry.contract_reference,
                funding_type=entry.funding_type,
                recipient=entry.recipient,
                legal_basis=entry.legal_basis,
                fields=orjson.dumps(entry.fields).decode(),
                payload_format=payload_format,
                payload_sha256=payload_sha256,
                subjects=entry.subjects,
                actor=actor,
            )
            .returning(disclosure.c.id)
        ).scalar_one()
        if entry.pseudonyms:
            connection.execute(
                insert(disclosure_subject),
                [{"disclosure_id": disclosure_id, "pseudonym": p} for p in entry.pseudonyms],
            )
        ids.append(int(disclosure_id))
    return ids


@dataclass(frozen=True)
class LoggedDisclosure:
    """A transmission that named a person: for their own export (GDPR art. 15(1)(c))."""

    transmitted_at: datetime
    contract_reference: str
    funding_type: str
    recipient: str
    legal_basis: str
    fields: list[str]
    payload_sha256: str


def disclosures_of(
    connection: Connection, pseudonyms: Sequence[str], lookups: Sequence[str] = ()
) -> list[LoggedDisclosure]:
    """Every logged transmission that held one of ``pseudonyms``, or a learner gone since whose
    address has one of the keyed ``lookups``, oldest first."""
    if not pseudonyms and not lookups:
        return []
    d = disclosure.c
    s = disclosure_subject.c
    rows = connection.execute(
        select(
            d.transmitted_at,
            d.contract_reference,
            d.funding_type,
            d.recipient,
            d.legal_basis,
            d.fields,
            d.payload_sha256,
        )
        .where(
            d.id.in_(
                select(s.disclosure_id).where(
                    or_(s.pseudonym.in_(list(pseudonyms)), s.subject_lookup.in_(list(lookups)))
                )
            )
        )
        .order_by(d.transmitted_at, d.id)
    )
    return [
        LoggedDisclosure(
            row.transmitted_at,
            row.contract_reference,
            row.funding_type,
            row.recipient,
            row.legal_basis,
            list(orjson.loads(row.fields)),
            row.payload_sha256,
        )
        for row in rows
    ]

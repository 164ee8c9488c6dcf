"""How every table would be laid out on Citus, and the rules that keep that layout possible.

gardien runs on one PostgreSQL node (docs/scaling.md says how far that goes). Should activity
outgrow it, the tables would be spread over Citus workers: each learner's rows (their
statements, enrolments, dossiers, documents) on one shard, so that what a request joins for one
person runs on one worker. This module declares that layout, table by table:

- :class:`Distributed` tables are hashed on a column; tables of one colocation group with equal
  values of it live on the same worker. The group here is the learner's: ``learner.id`` and
  every ``learner_id``.
- :class:`Reference` tables are small and copied to every worker, so that any shard can join
  them (the course catalogue, the xAPI clients, the sponsors and their contracts, accounts).
- :class:`Local` tables stay on the coordinator alone: what no distributed table refers to
  (the audit chain, requests, throttling, the website's records).

:func:`breaches` checks the rules Citus enforces against the SQLAlchemy tables: a distribution
column that exists and is never NULL; every unique key (primary key, unique constraint, unique
index) of a distributed table includes its distribution column; no foreign key from a
reference table to a table that is not one; no foreign key between a local and a distributed
table; a foreign key between distributed tables stays in one colocation group and maps the
distribution column to the distribution column.

Today's schema keeps some single-node habits that Citus refuses (surrogate primary keys alone,
a statement's globally unique id, statements of no learner yet). Each is declared on its table
as ``pending`` with the step to take before distributing; ``tests/unit/test_distribution.py``
fails when the schema breaks a rule that is not declared, or no longer breaks one that is, so
the list stays the exact list of work left (docs/scaling.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import (
    ForeignKeyConstraint,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
)

LEARNER_GROUP = "learner"


@dataclass(frozen=True)
class Distributed:
    """Hashed on ``column``; co-located with the other tables of ``group``."""

    column: str
    why: str
    group: str = LEARNER_GROUP
    pending: Mapping[str, str] = field(default_factory=dict)  # breach -> step before Citus


@dataclass(frozen=True)
class Reference:
    """Copied to every worker: small, read by joins from any shard, written rarely."""

    why: str
    pending: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Local:
    """On the coordinator only: no distributed table refers to it, nor it to one."""

    why: str
    pending: Mapping[str, str] = field(default_factory=dict)


Placement = Distributed | Reference | Local

# The steps shared by several tables (docs/scaling.md, "Before distributing").
SURROGATE_KEY = "primary key becomes (learner_id, id): the id stays unique, now per shard"
ADD_LEARNER_ID = "add learner_id (copied from its parent row), so its rows follow their learner"
LEARNER_KEY = (
    "uniqueness moves to a learner_key table (key digest -> learner_id) distributed by key:"
    " it keeps the address and pseudonym unique and routes a lookup to one shard"
)
STATEMENT_CLAIM = (
    "statement ids are claimed in a statement_claim table distributed by statement_id (xAPI's"
    " global uniqueness, a one-shard lookup); the statement's own key becomes"
    " (learner_id, statement_id)"
)
NO_LEARNER_YET = (
    "rows of no learner (yet) get their own table or a placeholder learner per actor: Citus"
    " refuses NULL in a distribution column and cannot move a row by updating it"
)
BY_STATEMENT = (
    "refers to its statement by (learner_id, statement_id), the statement's distributed key"
)


def _pending(*pairs: tuple[str, str]) -> dict[str, str]:
    return dict(pairs)


LAYOUT: dict[str, Placement] = {
    # --- the learner's colocation group: one learner's rows on one shard ---
    "learner": Distributed(
        "id",
        "the person every row of the group hangs on; its id is every learner_id",
        pending=_pending(
            ("unique (pseudonym) lacks id", LEARNER_KEY),
            ("unique (email) lacks id", LEARNER_KEY),
        ),
    ),
    "activity_statement": Distributed(
        "learner_id",
        "the bulk of the data; ingest, export, erasure and the sweep read it per learner",
        pending=_pending(
            ("learner_id may be NULL", NO_LEARNER_YET),
            ("primary key (id) lacks learner_id", SURROGATE_KEY),
            ("unique (statement_id) lacks learner_id", STATEMENT_CLAIM),
        ),
    ),
    "statement_agent": Distributed(
        "learner_id",
        "the other agents a statement names, read with the statement",
        pending=_pending(
            ("no column learner_id", ADD_LEARNER_ID),
            ("primary key (statement_id, place, name) lacks learner_id", ADD_LEARNER_ID),
            ("foreign key (statement_id) -> activity_statement misses learner_id", BY_STATEMENT),
        ),
    ),
    "xapi_attachment": Distributed(
        "learner_id",
        "a statement's attachments, read and erased with it",
        pending=_pending(
            ("no column learner_id", ADD_LEARNER_ID),
            ("primary key (id) lacks learner_id", SURROGATE_KEY),
            ("unique (statement_id, sha2) lacks learner_id", ADD_LEARNER_ID),
            ("foreign key (statement_id) -> activity_statement misses learner_id", BY_STATEMENT),
        ),
    ),
    "xapi_document": Distributed(
        "learner_id",
        "state and agent profile documents of one learner",
        pending=_pending(
            ("learner_id may be NULL", NO_LEARNER_YET),
            ("primary key (id) lacks learner_id", SURROGATE_KEY),
            (
                "unique (key_sha256) lacks learner_id",
                "the document key (its digest) is unique per learner: (learner_id, key_sha256)",
            ),
        ),
    ),
    "enrolment": Distributed(
        "learner_id",
        "a learner's paths, joined with their statements for progress",
        pending=_pending(("primary key (id) lacks learner_id", SURROGATE_KEY)),
    ),
    "module_progress": Distributed(
        "learner_id",
        "a learner's progress per module, under their enrolment",
        pending=_pending(
            ("no column learner_id", ADD_LEARNER_ID),
            ("primary key (id) lacks learner_id", SURROGATE_KEY),
            ("unique (enrolment_id, module_id) lacks learner_id", ADD_LEARNER_ID),
            (
                "foreign key (enrolment_id) -> enrolment misses learner_id",
                "refers to its enrolment by (learner_id, enrolment_id)",
            ),
        ),
    ),
    "contract_learner": Distributed(
        "learner_id", "which contract funds which learner, read per learner"
    ),
    "cpf_dossier": Distributed(
        "learner_id",
        "a learner's CPF dossiers",
        pending=_pending(
            ("primary key (id) lacks learner_id", SURROGATE_KEY),
            (
                "unique (edof_number) lacks learner_id",
                "the EDOF number is claimed in a table distributed by edof_number, as statements",
            ),
        ),
    ),
    "opco_dossier": Distributed(
        "learner_id",
        "a learner's OPCO dossiers, kept detached after an erasure",
        pending=_pending(
            (
                "learner_id may be NULL",
                "a detached dossier (its learner erased) moves to a local table keyed by"
                " subject_lookup instead of keeping a NULL learner_id",
            ),
            ("primary key (id) lacks learner_id", SURROGATE_KEY),
            (
                "unique (agreement_reference) lacks learner_id",
                "the agreement reference is claimed in a table distributed by it",
            ),
        ),
    ),
    "outbox_message": Distributed(
        "learner_id",
        "e-mails to a learner, written in the transaction of what they announce",
        pending=_pending(
            ("learner_id may be NULL", NO_LEARNER_YET),
            ("primary key (id) lacks learner_id", SURROGATE_KEY),
            (
                "unique (dedupe_key) lacks learner_id",
                "the deduplication key is unique per learner: (learner_id, dedupe_key)",
            ),
        ),
    ),
    # --- reference tables: small, copied to every worker ---
    "learning_path": Reference("the catalogue: joined with enrolments on every shard"),
    "learning_module": Reference("the catalogue: joined with module progress"),
    "xapi_client": Reference("a handful of clients, named by every statement"),
    "xapi_blob": Reference("attachment contents by digest, shared by statements of anyone"),
    "sponsor": Reference("sponsors: few, referred to by contracts"),
    "sponsor_contact": Reference("sponsors' contacts: few, referred to by accounts"),
    "contract": Reference("contracts: few, referred to by enrolments and dossiers"),
    "account": Reference(
        "sign-in by address on the coordinator; one row per person, written at sign-in only",
        pending=_pending(
            (
                "foreign key (learner_id) -> learner, a distributed table",
                "the service keeps account.learner_id pointing at a learner (no foreign key),"
                " as it already deletes both together",
            ),
        ),
    ),
    # --- local tables: on the coordinator only ---
    "audit_entry": Local("a hash chain: one writer, one total order"),
    "audit_head": Local("the head of the audit chain"),
    "erasure_applied": Local("the ledger entries this database has applied: one per erasure"),
    "erasure_lineage": Local("one row: which database the erasure ledger's entries belong to"),
    "throttle_counter": Local("rate-limit counters, written per request, joined with nothing"),
    "web_session": Local("sessions, looked up by token on the coordinator that serves pages"),
    "subject_request": Local("requests to the DPO: few, read by the console"),
    "export_link": Local("download links of requests"),
    "disclosure": Local("the register of disclosures"),
    "disclosure_subject": Local("who a disclosure named, by pseudonym or keyed lookup"),
    "contact_message": Local("the website's contact messages"),
    "newsletter_subscription": Local("the website's newsletter"),
    "commercial_contact": Local("prospects, never joined with learning data"),
    "invoice": Local("invoices of contracts, read by accounting"),
    "activity_count": Local("anonymous counts per activity and month: about no person"),
    "xapi_activity": Local("activity definitions, by activity IRI"),
    "xapi_activity_profile": Local("activity profiles, by activity IRI"),
}


def _key(columns: list[str]) -> str:
    return f"({', '.join(columns)})"


def unique_keys(table: Table) -> list[tuple[str, list[str]]]:
    """Every unique key of ``table``: primary key, unique constraints, unique indexes."""
    keys = []
    for constraint in table.constraints:
        if isinstance(constraint, PrimaryKeyConstraint) and constraint.columns:
            keys.append(("primary key", [c.name for c in constraint.columns]))
        elif isinstance(constraint, UniqueConstraint) and not isinstance(
            constraint, PrimaryKeyConstraint
        ):
            keys.append(("unique", [c.name for c in constraint.columns]))
    for index in table.indexes:
        if index.unique:
            keys.append(("unique index", [c.name for c in index.columns]))
    return sorted(keys, key=lambda key: (key[0] != "primary key", key[1]))


def _foreign_key(constraint: ForeignKeyConstraint, layout: Mapping[str, Placement]) -> str | None:
    """The breach a foreign key makes between its two placements, if any."""
    child, parent = constraint.table, constraint.referred_table
    here, there = layout.get(child.name), layout.get(parent.name)
    if here is None or there is None:
        return None  # the unclassified table is reported on its own
    name = f"foreign key {_key([c.name for c in constraint.columns])} -> {parent.name}"
    if isinstance(here, Reference) and not isinstance(there, Reference):
        kind = "a distributed table" if isinstance(there, Distributed) else "a local table"
        return f"{name}, {kind}"
    if isinstance(here, Local) and isinstance(there, Distributed):
        return f"{name}, a distributed table"
    if isinstance(here, Distributed) and isinstance(there, Local):
        return f"{name}, a local table"
    if isinstance(here, Distributed) and isinstance(there, Distributed):
        if here.group != there.group:
            return f"{name} crosses colocation groups {here.group} and {there.group}"
        pairs = {(e.parent.name, e.column.name) for e in constraint.elements}
        if (here.column, there.column) not in pairs:
            return f"{name} misses {here.column}"
    return None


def table_breaches(table: Table, layout: Mapping[str, Placement]) -> list[str]:
    """What keeps ``table`` from its place in ``layout`` (its pending list, when all is known)."""
    placement = layout[table.name]
    found: list[str] = []
    if isinstance(placement, Distributed):
        column = placement.column
        if column not in table.c:
            found.append(f"no column {column}")
        elif table.c[column].nullable:
            found.append(f"{column} may be NULL")
        for kind, columns in unique_keys(table):
            if column not in columns:
                found.append(f"{kind} {_key(columns)} lacks {column}")
    for constraint in sorted(table.foreign_key_constraints, key=lambda c: list(c.column_keys)):
        breach = _foreign_key(constraint, layout)
        if breach is not None:
            found.append(breach)
    return found


@dataclass(frozen=True)
class Check:
    """What :func:`check` finds: tables left out, tables gone, and breaches declared or not."""

    unclassified: list[str]
    unknown: list[str]
    undeclared: dict[str, list[str]]  # table -> breaches no ``pending`` entry declares
    resolved: dict[str, list[str]]  # table -> ``pending`` entries the schema no longer breaks

    @property
    def ok(self) -> bool:
        return not (self.unclassified or self.unknown or self.undeclared or self.resolved)


def check(metadata: MetaData, layout: Mapping[str, Placement] = LAYOUT) -> Check:
    """Compare ``layout`` with the tables of ``metadata``."""
    tables = metadata.tables
    undeclared: dict[str, list[str]] = {}
    resolved: dict[str, list[str]] = {}
    for name in sorted(set(tables) & set(layout)):
        found = table_breaches(tables[name], layout)
        pending = layout[name].pending
        if extra := [b for b in found if b not in pending]:
            undeclared[name] = extra
        if gone := [b for b in pending if b not in found]:
            resolved[name] = gone
    return Check(
        unclassified=sorted(set(tables) - set(layout)),
        unknown=sorted(set(layout) - set(tables)),
        undeclared=undeclared,
        resolved=resolved,
    )

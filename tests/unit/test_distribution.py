"""The Citus layout of src/gardien/store/distribution.py stays possible with the schema.

Over the real tables: every table has a place, and the schema breaks exactly the rules whose
breach is declared as a step before distributing (docs/scaling.md). Over small tables made
here: each rule finds the breach it is about, so that the first tests cannot pass by finding
nothing.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql

from gardien.store.distribution import (
    LAYOUT,
    LEARNER_GROUP,
    Distributed,
    Local,
    Placement,
    Reference,
    check,
    table_breaches,
)
from gardien.store.tables import metadata

WHERE = "src/gardien/store/distribution.py"
HOW_TO_PLACE = (
    f"give each a place in LAYOUT ({WHERE}, docs/scaling.md): Distributed('learner_id', why)"
    " if it grows with learners (its learner_id NOT NULL and in every unique key and foreign"
    " key to the group), Reference(why) if it is small and joined from learners' rows (no"
    " foreign key to a non-reference table), Local(why) if no distributed table refers to it"
    " (an erasure ledger, for instance: Local)"
)


def test_every_table_has_a_place_in_the_layout() -> None:
    found = check(metadata)
    assert not found.unclassified, f"tables with no place: {found.unclassified}; {HOW_TO_PLACE}"
    assert not found.unknown, f"LAYOUT places tables the schema no longer has: {found.unknown}"


def test_the_schema_breaks_no_rule_beyond_the_declared_steps() -> None:
    undeclared = check(metadata).undeclared
    assert not undeclared, (
        "the schema breaks Citus rules the layout does not declare:\n"
        + "\n".join(f"  {table}: {b}" for table, found in undeclared.items() for b in found)
        + "\nchange the key or foreign key so that it keeps the layout (include the"
        " distribution column), or, if there is no other way, declare it in the table's"
        f" `pending` in {WHERE} with the step to take before distributing"
    )


def test_every_declared_step_is_still_needed() -> None:
    resolved = check(metadata).resolved
    assert not resolved, (
        "the schema no longer breaks these declared rules; remove them from `pending` in"
        f" {WHERE} and from docs/scaling.md: {resolved}"
    )


def test_the_layout_has_the_learner_group_and_says_why_for_every_table() -> None:
    group = {name for name, p in LAYOUT.items() if isinstance(p, Distributed)}
    assert {"learner", "activity_statement", "enrolment", "xapi_document"} <= group
    assert all(p.group == LEARNER_GROUP for p in LAYOUT.values() if isinstance(p, Distributed))
    assert all(placement.why.strip() for placement in LAYOUT.values())
    assert all(step.strip() for p in LAYOUT.values() for step in p.pending.values())


def test_the_learner_group_hashes_one_type() -> None:
    """Citus co-locates tables only if their distribution columns have the same type."""
    dialect = postgresql.dialect()
    types = {
        name: table.c[p.column].type.compile(dialect=dialect)
        for name, table in metadata.tables.items()
        if isinstance(p := LAYOUT.get(name), Distributed) and p.column in table.c
    }
    assert len(set(types.values())) == 1, types


# --- each rule finds its breach ---------------------------------------------------------------


def _tables() -> MetaData:
    meta = MetaData()
    Table("person", meta, Column("id", Integer, primary_key=True))
    Table(
        "visit",
        meta,
        Column("id", Integer, primary_key=True),
        Column("learner_id", ForeignKey("person.id"), primary_key=True),
        Column("ref", String(10)),
        UniqueConstraint("learner_id", "ref"),
    )
    Table("catalogue", meta, Column("id", Integer, primary_key=True))
    Table("journal", meta, Column("id", Integer, primary_key=True))
    return meta


def _layout(**changes: Placement) -> dict[str, Placement]:
    layout: dict[str, Placement] = {
        "person": Distributed("id", "anchor"),
        "visit": Distributed("learner_id", "a person's"),
        "catalogue": Reference("small"),
        "journal": Local("alone"),
    }
    return {**layout, **changes}


def test_a_layout_that_keeps_every_rule_passes() -> None:
    assert check(_tables(), _layout()).ok


def test_a_unique_key_without_the_distribution_column_is_a_breach() -> None:
    meta = _tables()
    visit = meta.tables["visit"]
    visit.append_constraint(UniqueConstraint("ref"))
    Index("ix_visit_ref_alone", visit.c.ref, visit.c.id, unique=True)
    assert table_breaches(visit, _layout()) == [
        "unique (ref) lacks learner_id",
        "unique index (ref, id) lacks learner_id",
    ]
    meta = MetaData()
    surrogate = Table(
        "visit",
        meta,
        Column("id", Integer, primary_key=True),
        Column("learner_id", Integer, nullable=False),
    )
    assert table_breaches(surrogate, _layout()) == ["primary key (id) lacks learner_id"]


def test_a_missing_or_nullable_distribution_column_is_a_breach() -> None:
    meta = MetaData()
    no_column = Table("visit", meta, Column("learner_id", Integer, primary_key=True))
    assert table_breaches(no_column, _layout(visit=Distributed("person_id", "x"))) == [
        "no column person_id",
        "primary key (learner_id) lacks person_id",
    ]
    nullable = Table("journal", MetaData(), Column("learner_id", Integer, nullable=True))
    assert table_breaches(nullable, _layout(journal=Distributed("learner_id", "x"))) == [
        "learner_id may be NULL"
    ]


def test_a_reference_table_refers_to_no_distributed_or_local_table() -> None:
    meta = _tables()
    catalogue = meta.tables["catalogue"]
    catalogue.append_column(Column("person_id", ForeignKey("person.id")))
    catalogue.append_column(Column("journal_id", ForeignKey("journal.id")))
    assert table_breaches(catalogue, _layout()) == [
        "foreign key (journal_id) -> journal, a local table",
        "foreign key (person_id) -> person, a distributed table",
    ]
    # A reference table referring to another one is fine.
    assert table_breaches(catalogue, _layout(person=Reference("r"), journal=Reference("r"))) == []


def test_local_and_distributed_tables_do_not_refer_to_each_other() -> None:
    meta = _tables()
    meta.tables["journal"].append_column(Column("person_id", ForeignKey("person.id")))
    assert table_breaches(meta.tables["journal"], _layout()) == [
        "foreign key (person_id) -> person, a distributed table"
    ]
    meta.tables["visit"].append_column(Column("journal_id", ForeignKey("journal.id")))
    assert table_breaches(meta.tables["visit"], _layout()) == [
        "foreign key (journal_id) -> journal, a local table"
    ]


def test_a_foreign_key_between_distributed_tables_maps_the_distribution_columns() -> None:
    meta = _tables()
    Table(
        "note",
        meta,
        Column("learner_id", Integer, primary_key=True),
        Column("visit_id", Integer, primary_key=True),
        ForeignKeyConstraint(["visit_id"], ["visit.id"]),
    )
    layout = _layout(note=Distributed("learner_id", "a visit's"))
    assert table_breaches(meta.tables["note"], layout) == [
        "foreign key (visit_id) -> visit misses learner_id"
    ]
    meta = _tables()
    Table(
        "note",
        meta,
        Column("learner_id", Integer, primary_key=True),
        Column("visit_id", Integer, primary_key=True),
        ForeignKeyConstraint(["learner_id", "visit_id"], ["visit.learner_id", "visit.id"]),
    )
    assert table_breaches(meta.tables["note"], layout) == []
    other_group = _layout(note=Distributed("learner_id", "x", group="other"))
    assert table_breaches(meta.tables["note"], other_group) == [
        "foreign key (learner_id, visit_id) -> visit crosses colocation groups other and learner"
    ]


def test_declared_breaches_pass_and_resolved_ones_are_reported() -> None:
    meta = _tables()
    meta.tables["visit"].append_constraint(UniqueConstraint("ref"))
    found = check(meta, _layout())
    assert found.undeclared == {"visit": ["unique (ref) lacks learner_id"]}
    declared = Distributed("learner_id", "x", pending={"unique (ref) lacks learner_id": "claim"})
    assert check(meta, _layout(visit=declared)).ok
    found = check(_tables(), _layout(visit=declared))
    assert found.resolved == {"visit": ["unique (ref) lacks learner_id"]}
    assert not found.ok


def test_unclassified_and_unknown_tables_are_reported() -> None:
    meta = _tables()
    Table("erasure_ledger", meta, Column("id", Integer, primary_key=True))
    layout = _layout(gone=Local("x"))
    found = check(meta, layout)
    assert found.unclassified == ["erasure_ledger"]
    assert found.unknown == ["gone"]

"""Statements by the pseudonyms they name: linking them to a learner who appears, deleting a
person's own, and putting a placeholder where a person stands in someone else's.

A statement names its actor in ``activity_statement.actor_name`` and every other agent in
``statement_agent`` (store/tables/learning.py): a person is found by the pseudonyms their
identifiers are stored under (domain/xapi/pseudonyms.py), with plain indexed equality.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, delete, select, update

from gardien.store.tables import activity_statement, statement_agent


@dataclass(frozen=True)
class Linked:
    """A statement just linked to its learner: what moves their last activity and progress."""

    learner_id: int
    verb: str
    object_id: str
    timestamp: datetime
    stored_at: datetime
    score_scaled: float | None
    voided: bool


def link_statements(connection: Connection, names: dict[str, int]) -> list[Linked]:
    """Give each statement without a learner whose actor is stored under a name of ``names``
    (pseudonym → learner id) to that learner; the statements linked, in stored order."""
    if not names:
        return []
    s = activity_statement.c
    found = connection.execute(
        select(
            s.id,
            s.actor_name,
            s.verb,
            s.object_id,
            s.timestamp,
            s.stored_at,
            s.result_score_scaled,
            s.voided,
        )
        .where(s.learner_id.is_(None), s.actor_name.in_(list(names)))
        .order_by(s.stored_at, s.id)
    ).all()
    if not found:
        return []
    connection.execute(
        update(activity_statement)
        .where(activity_statement.c.id == bindparam("row"))
        .values(learner_id=bindparam("learner")),
        [{"row": row.id, "learner": names[row.actor_name]} for row in found],
    )
    return [
        Linked(
            names[row.actor_name],
            row.verb,
            row.object_id,
            row.timestamp,
            row.stored_at,
            row.result_score_scaled,
            bool(row.voided),
        )
        for row in found
    ]


def named_elsewhere(names: Sequence[str]) -> Any:
    """The ids (``statement_id``) of the statements naming one of ``names`` besides as actor."""
    a = statement_agent.c
    return select(a.statement_id).where(a.name.in_(list(names)))


def delete_statements(connection: Connection, where: ColumnElement[bool]) -> list[int]:
    """Delete the statements matching ``where`` with the agents they name; their row ids."""
    s = activity_statement.c
    ids = list(connection.execute(select(s.id).where(where)).scalars())
    if ids:
        connection.execute(
            delete(statement_agent).where(
                statement_agent.c.statement_id.in_(select(s.statement_id).where(s.id.in_(ids)))
            )
        )
        connection.execute(delete(activity_statement).where(s.id.in_(ids)))
    return ids


def forget_names(
    connection: Connection,
    names: Sequence[str],
    forget: Callable[[dict[str, Any]], dict[str, Any]],
) -> int:
    """Rewrite each statement naming one of ``names`` besides as actor with ``forget`` (which
    puts a placeholder where those names stood), and unindex the names; statements changed."""
    if not names:
        return 0
    s = activity_statement.c
    found = connection.execute(
        select(s.id, s.raw).where(s.statement_id.in_(named_elsewhere(names)))
    ).all()
    if found:
        connection.execute(
            update(activity_statement)
            .where(activity_statement.c.id == bindparam("row"))
            .values(raw=bindparam("document")),
            [{"row": row.id, "document": forget(row.raw)} for row in found],
        )
        connection.execute(delete(statement_agent).where(statement_agent.c.name.in_(list(names))))
    return len(found)

"""Import xAPI activity statements: the bulk of any large import, so the hot path of it.

Statements are immutable: one whose id is stored is left as it is. The new ones are encoded
straight into driver values, a chunk at a time, and written with one ``executemany`` per chunk.
A statement counts as activity of its learner: the learner's ``last_activity_at`` (the retention
clock) moves forward to the newest statement, never back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from gardien.services.importing.context import ImportContext, require
from gardien.services.importing.document import StatementIn
from gardien.services.importing.keys import record_error
from gardien.services.importing.pseudonymise import StatementEncoder, actor, leaks
from gardien.services.importing.report import Counts
from gardien.store.bulk import WRITE_CHUNK
from gardien.store.tables import activity_statement, learner
from gardien.store.xapi import STATEMENT_COLUMNS

# The columns of a stored statement (store/xapi.py) up to its JSON: an imported statement has
# no registration, client or voiding of its own (the table's defaults).
COLUMNS = STATEMENT_COLUMNS[: STATEMENT_COLUMNS.index("raw") + 1]


@dataclass
class Activity:
    """What the statements of a document say about their learners, gathered in one pass."""

    # The newest statement instant (UTC) of each learner, by e-mail.
    latest: dict[str, datetime] = field(default_factory=dict)
    # Learners with at least one full (``raw``) statement, to check it does not name them.
    with_raw: set[str] = field(default_factory=set)


def survey(statements: Sequence[StatementIn]) -> Activity:
    """Each learner's newest statement, and who has full statements (one pass)."""
    latest: dict[str, datetime] = {}
    with_raw: set[str] = set()
    for statement in statements:
        instant = statement.timestamp
        known = latest.get(statement.learner)
        if known is None or instant > known:
            latest[statement.learner] = instant
        if statement.raw is not None:
            with_raw.add(statement.learner)
    return Activity({email: at.astimezone(UTC) for email, at in latest.items()}, with_raw)


def import_statements(
    ctx: ImportContext, statements: Sequence[StatementIn], activity: Activity
) -> None:
    """Insert the statements not stored yet, pseudonymised; advance their learners' activity."""
    if not statements:
        return
    bulk = ctx.bulk
    refs = ctx.learner_refs(activity.latest)
    if len(refs.keys() & activity.latest.keys()) < len(activity.latest):
        require("statements", statements, "learner", refs, "learner")
    stored: set[str] = set()
    if not bulk.is_empty(activity_statement):
        rows = bulk.rows_where_in(
            activity_statement, ("statement_id",), "statement_id", (s.id for s in statements)
        )
        stored = {row[0] for row in rows}
    names = ctx.learner_names(activity.with_raw) if activity.with_raw else {}
    sql = bulk.insert_sql(activity_statement, COLUMNS)
    instant_and_text = bulk.codec.instant_and_text
    stored_at = bulk.codec.instant(ctx.now)
    # Per learner: its id, its pseudonymous actor, that actor as JSON text, its pseudonym.
    agents: dict[str, tuple[int, dict[str, Any], str, str]] = {}
    encode = StatementEncoder().encode
    total = len(statements)
    inserted = 0
    for start in range(0, total, WRITE_CHUNK):
        batch = []
        for item in statements[start : start + WRITE_CHUNK]:
            if item.id in stored:
                continue
            email = item.learner
            agent = agents.get(email)
            if agent is None:
                ref = refs[email]
                made = actor(ctx.home_page, ref.pseudonym)
                agent = (ref.id, made, orjson.dumps(made).decode(), ref.pseudonym)
                agents[email] = agent
            timestamp, iso = instant_and_text(item.timestamp)
            text = encode(item, agent[1], agent[2], iso)
            if item.raw is not None:
                _refuse_leak(statements, item, text, names.get(email))
            result = item.result
            batch.append(
                (
                    item.id,
                    agent[0],
                    agent[3],
                    item.verb,
                    item.object,
                    None if result is None else result.success,
                    None if result is None else result.completion,
                    None if result is None else result.score_scaled,
                    timestamp,
                    stored_at,
                    text,
                )
            )
        inserted += bulk.execute_chunk(sql, batch)
        ctx.tell("statements", min(start + WRITE_CHUNK, total), total)
    ctx.report.add("statements", Counts(inserted=inserted, unchanged=total - inserted))
    _advance_activity(ctx, activity.latest)


def _refuse_leak(
    statements: Sequence[StatementIn], item: StatementIn, text: str, full_name: str | None
) -> None:
    found = leaks(text, email=item.learner, full_name=full_name)
    if found is not None:
        index = next(i for i, s in enumerate(statements) if s is item)
        raise record_error(
            "statements",
            index,
            item,
            "raw",
            f"still holds the learner's {found} once the actor is replaced; remove it",
        )


def _advance_activity(ctx: ImportContext, latest: dict[str, datetime]) -> None:
    # Learners of this document already got their newest activity; these are the others.
    others = {email: at for email, at in latest.items() if email not in ctx.listed}
    if not others:
        return
    bulk = ctx.bulk
    updates = []
    for row in bulk.rows_where_in(learner, ("id", "email", "last_activity_at"), "email", others):
        newest = others[row[1]]
        if newest > row[2]:
            updates.append((newest, row[0]))
    if updates:
        columns = ("last_activity_at", "id")
        bulk.execute_many(
            bulk.update_sql(learner, columns[:1]), bulk.encode(learner, columns, updates)
        )
        ctx.report.add("learners", Counts(updated=len(updates)))

"""The outbox queries: e-mails queued in the caller's transaction, read back by the sender.

Queuing is idempotent by construction: every message carries a ``dedupe_key`` under a unique
index, and :func:`queue_messages` inserts with ``ON CONFLICT (dedupe_key) DO NOTHING`` (on
PostgreSQL and on SQLite alike), so a rerun or a concurrent run that queues the same message
again changes nothing and fails on nothing. Only duplicates are ignored: ``INSERT OR IGNORE``
would also swallow a NOT NULL or CHECK violation, which must stay an error.

The sender (:mod:`gardien.services.outbox_sender`) takes due messages with :func:`claim_due`:
claiming pushes ``send_after`` to the end of a lease and counts the attempt, in one short
transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so two
senders never hold the same message. It then records the outcome with :func:`mark_sent`,
:func:`mark_failed`, :func:`mark_given_up` or :func:`release`. Error texts are stored with
every e-mail address removed (:func:`redact_addresses`).

For the inactivity warning the key names the learner and the exact reading of their
retention clock (:func:`inactivity_warning_key`): one warning per clock cycle. The same key is
rebuilt in SQL (:func:`_inactivity_warning_key_sql`) so that :func:`learners_to_warn` skips the
learners already warned with an indexed ``NOT EXISTS``, instead of reading them back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Insert,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from gardien.store.tables import learner, outbox_message

INACTIVITY_WARNING = "inactivity_warning"
_INACTIVITY_KEY_PREFIX = "inactivity-warning"


@dataclass(frozen=True, slots=True)
class NewMessage:
    """An e-mail to queue; ``dedupe_key`` makes queuing it twice a no-op."""

    dedupe_key: str
    kind: str
    recipient: str
    subject: str
    body: str
    send_after: datetime
    learner_id: int | None = None
    html_body: str | None = None
    headers: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """A row of the outbox, as the sender and a subject's export read it."""

    id: int
    dedupe_key: str
    kind: str
    learner_id: int | None
    recipient: str
    subject: str
    body: str
    created_at: datetime
    send_after: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None
    html_body: str | None = None
    headers: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class LearnerToWarn:
    """What an inactivity warning needs to know about one learner."""

    id: int
    pseudonym: str
    email: str
    given_name: str
    family_name: str
    last_activity_at: datetime

    @property
    def dedupe_key(self) -> str:
        """The key of this learner's warning for their current clock cycle."""
        return inactivity_warning_key(self.id, self.last_activity_at)


def inactivity_warning_key(learner_id: int, last_activity_at: datetime) -> str:
    """``inactivity-warning:<learner id>:<last activity, ISO 8601 UTC to the microsecond>``.

    The instant is always spelled the same way (UTC, six decimals, ``+00:00``) so that SQL can
    rebuild the key from the stored column on both databases.
    """
    if last_activity_at.tzinfo is None:
        raise ValueError("naive datetime given for a last activity")
    stamp = last_activity_at.astimezone(UTC).isoformat(timespec="microseconds")
    return f"{_INACTIVITY_KEY_PREFIX}:{learner_id}:{stamp}"


def _iso_utc_sql(column: ColumnElement[Any], dialect: str) -> ColumnElement[str]:
    """``column`` (a UTCDateTime) as ISO text, exactly as :func:`inactivity_warning_key` has it."""
    if dialect == "postgresql":
        utc = func.timezone("UTC", column)
        text = func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS.US', type_=String)
    elif dialect == "sqlite":
        # SQLite holds instants as "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, always six decimals
        # (SQLAlchemy's storage format, which store.bulk writes too, since string order must
        # be time order): only the separator differs from ISO 8601.
        text = func.replace(column, " ", "T", type_=String)
    else:  # pragma: no cover - make_engine accepts these two only
        raise NotImplementedError(f"no ISO 8601 rendering of instants for {dialect}")
    return text + literal("+00:00", String)


def _inactivity_warning_key_sql(dialect: str) -> ColumnElement[str]:
    return (
        literal(f"{_INACTIVITY_KEY_PREFIX}:", String)
        + cast(learner.c.id, String)
        + literal(":", String)
        + _iso_utc_sql(learner.c.last_activity_at, dialect)
    )


def learners_to_warn(
    connection: Connection,
    *,
    active_from: datetime,
    active_before: datetime,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[LearnerToWarn]:
    """Up to ``limit`` learners last active in ``[active_from, active_before)``, not yet warned.

    A range on the indexed ``learner.last_activity_at``, walked in (last activity, id) order
    from the keyset ``after`` (the last row of the previous batch), so that each batch starts
    where the previous one ended and its cost does not grow with the learners outside the
    window. Learners whose warning for their current cycle is already queued are left out.
    """
    at = learner.c.last_activity_at
    conditions = [at >= active_from, at < active_before]
    if after is not None:
        after_at, after_id = after
        conditions += [at >= after_at, or_(at > after_at, learner.c.id > after_id)]
    key = _inactivity_warning_key_sql(connection.dialect.name)
    already_queued = exists().where(outbox_message.c.dedupe_key == key)
    query = (
        select(
            learner.c.id,
            learner.c.pseudonym,
            learner.c.email,
            learner.c.given_name,
            learner.c.family_name,
            learner.c.last_activity_at,
        )
        .where(and_(*conditions), ~already_queued)
        .order_by(at, learner.c.id)
        .limit(limit)
    )
    return [LearnerToWarn(*row) for row in connection.execute(query)]


def _insert_skipping_duplicates(dialect: str) -> Insert:
    if dialect == "postgresql":
        return postgresql.insert(outbox_message).on_conflict_do_nothing(
            index_elements=[outbox_message.c.dedupe_key]
        )
    if dialect == "sqlite":
        return sqlite.insert(outbox_message).on_conflict_do_nothing(
            index_elements=[outbox_message.c.dedupe_key]
        )
    raise NotImplementedError(f"no insert-or-skip for {dialect}")  # pragma: no cover


def queue_messages(
    connection: Connection, messages: Sequence[NewMessage], *, now: datetime
) -> set[str]:
    """Queue ``messages`` in the open transaction; the dedupe keys actually inserted.

    A message whose key is already in the outbox (queued earlier, or a moment ago by a
    concurrent run) is skipped without error and its key is not in the result.
    """
    if not messages:
        return set()
    rows = [
        {
            "dedupe_key": message.dedupe_key,
            "kind": message.kind,
            "learner_id": message.learner_id,
            "recipient": message.recipient,
            "subject": message.subject,
            "body": message.body,
            "html_body": message.html_body,
            "headers": orjson.dumps(message.headers).decode() if message.headers else None,
            "created_at": now,
            "send_after": message.send_after,
            "sent_at": None,
            "attempts": 0,
            "last_error": None,
        }
        for message in messages
    ]
    statement = _insert_skipping_duplicates(connection.dialect.name).returning(
        outbox_message.c.dedupe_key
    )
    return set(connection.execute(statement, rows).scalars())


def _read(query: Any, connection: Connection) -> list[QueuedMessage]:
    messages = []
    for row in connection.execute(query):
        fields = dict(row._mapping)
        headers = fields.pop("headers")
        messages.append(QueuedMessage(**fields, headers=orjson.loads(headers) if headers else None))
    return messages


def pending_messages(connection: Connection, *, now: datetime, limit: int) -> list[QueuedMessage]:
    """Up to ``limit`` unsent messages that are due at ``now``, the longest waiting first."""
    c = outbox_message.c
    query = (
        select(outbox_message)
        .where(c.sent_at.is_(None), c.send_after <= now)
        .order_by(c.send_after, c.id)
        .limit(limit)
    )
    return _read(query, connection)


def messages_for(connection: Connection, learner_id: int) -> list[QueuedMessage]:
    """Every message queued for one learner, sent or not, oldest first."""
    c = outbox_message.c
    query = select(outbox_message).where(c.learner_id == learner_id).order_by(c.created_at, c.id)
    return _read(query, connection)


# -- the sender's queries ----------------------------------------------------------------------

# Anything shaped like an address (local@domain), with or without angle brackets.
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")
REDACTED = "[address]"


def redact_addresses(text: str) -> str:
    """``text`` with every e-mail address replaced by ``[address]`` (SMTP replies quote them)."""
    return _ADDRESS.sub(REDACTED, text)


def claim_due(
    connection: Connection,
    *,
    now: datetime,
    lease_until: datetime,
    limit: int,
    max_attempts: int,
) -> list[QueuedMessage]:
    """Claim up to ``limit`` unsent, due messages with fewer than ``max_attempts`` attempts.

    Claiming sets ``send_after = lease_until`` (no other sender sees the message until the lease
    ends) and counts the attempt; the returned messages carry the new values. Commit at once:
    the claim is meant to be its own short transaction. On PostgreSQL the rows are locked with
    ``FOR UPDATE SKIP LOCKED``, so a concurrent claim takes other rows instead of waiting; on
    SQLite the caller opens the transaction with ``UnitOfWork(engine, write=True)`` (``BEGIN
    IMMEDIATE``), which serialises claims.
    """
    if lease_until <= now:
        raise ValueError("a lease must end after now")
    c = outbox_message.c
    due = (
        select(c.id)
        .where(c.sent_at.is_(None), c.send_after <= now, c.attempts < max_attempts)
        .order_by(c.send_after, c.id)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(connection.execute(due).scalars())
    if not ids:
        return []
    connection.execute(
        update(outbox_message)
        .where(c.id.in_(ids))
        .values(send_after=lease_until, attempts=c.attempts + 1)
    )
    claimed = {m.id: m for m in _read(select(outbox_message).where(c.id.in_(ids)), connection)}
    return [claimed[message_id] for message_id in ids]


def mark_sent(connection: Connection, message_id: int, *, now: datetime) -> bool:
    """Record that the server accepted the message; False if it was already marked sent."""
    c = outbox_message.c
    result = connection.execute(
        update(outbox_message)
        .where(c.id == message_id, c.sent_at.is_(None))
        .values(sent_at=now, last_error=None)
    )
    return result.rowcount == 1


def _still_claimed(message_id: int, claimed_until: datetime | None) -> ColumnElement[bool]:
    """This unsent message, and (given ``claimed_until``) still under that claim.

    A claim's lease end doubles as its token: only a claim made after this one ended can have
    changed ``send_after``, and then the later claim's outcome is the one to keep.
    """
    c = outbox_message.c
    condition = and_(c.id == message_id, c.sent_at.is_(None))
    if claimed_until is not None:
        condition = and_(condition, c.send_after == claimed_until)
    return condition


def mark_failed(
    connection: Connection,
    message_id: int,
    *,
    error: str,
    retry_at: datetime,
    claimed_until: datetime | None = None,
) -> bool:
    """Record a failed attempt and when to retry; False if the message is no longer ours.

    ``error`` is stored with e-mail addresses removed. With ``claimed_until`` (the lease end of
    the claim), nothing changes unless the message is still under that claim.
    """
    result = connection.execute(
        update(outbox_message)
        .where(_still_claimed(message_id, claimed_until))
        .values(send_after=retry_at, last_error=redact_addresses(error))
    )
    return result.rowcount == 1


def mark_given_up(
    connection: Connection,
    message_id: int,
    *,
    error: str,
    max_attempts: int,
    claimed_until: datetime | None = None,
) -> bool:
    """Never retry the message: a permanent refusal. ``sent_at`` stays NULL.

    Its ``attempts`` become ``max_attempts`` (at least), so that :func:`claim_due` never takes
    it again; ``last_error`` says why, without any address.
    """
    c = outbox_message.c
    result = connection.execute(
        update(outbox_message)
        .where(_still_claimed(message_id, claimed_until))
        .values(
            attempts=case((c.attempts < max_attempts, max_attempts), else_=c.attempts),
            last_error=redact_addresses(error),
        )
    )
    return result.rowcount == 1


def release(
    connection: Connection,
    message_id: int,
    *,
    retry_at: datetime,
    error: str | None = None,
    claimed_until: datetime | None = None,
) -> bool:
    """Give a claimed message back untried: its attempt is not counted, it is due at ``retry_at``.

    For messages the sender never offered to a server (the server was unreachable, the run was
    interrupted, the lease was about to end).
    """
    c = outbox_message.c
    values: dict[str, Any] = {"send_after": retry_at, "attempts": c.attempts - 1}
    if error is not None:
        values["last_error"] = redact_addresses(error)
    result = connection.execute(
        update(outbox_message)
        .where(_still_claimed(message_id, claimed_until), c.attempts > 0)
        .values(**values)
    )
    return result.rowcount == 1

"""The outbox queries behind the inactivity warning, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Engine, insert, select, update

from gardien.store.outbox import (
    INACTIVITY_WARNING,
    NewMessage,
    inactivity_warning_key,
    learners_to_warn,
    messages_for,
    pending_messages,
    queue_messages,
)
from gardien.store.tables import learner, outbox_message

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
WINDOW = (datetime(2024, 8, 1, tzinfo=UTC), datetime(2024, 9, 1, tzinfo=UTC))


def add_learner(engine: Engine, number: int, last_activity_at: datetime) -> int:
    with engine.begin() as connection:
        learner_id = connection.execute(
            insert(learner)
            .values(
                pseudonym=f"00000000-0000-4000-8000-{number:012d}",
                email=f"apprenant.{number}@example.org",
                given_name="Camille",
                family_name=f"Exemple{number}",
                created_at=last_activity_at,
                last_activity_at=last_activity_at,
            )
            .returning(learner.c.id)
        ).scalar_one()
    return int(learner_id)


def message(key: str, learner_id: int | None = None, **changes: object) -> NewMessage:
    values: dict[str, object] = {
        "dedupe_key": key,
        "kind": INACTIVITY_WARNING,
        "recipient": "apprenant.1@example.org",
        "subject": "Sujet / Subject",
        "body": "Bonjour\n",
        "send_after": NOW,
        "learner_id": learner_id,
    }
    values.update(changes)
    return NewMessage(**values)  # type: ignore[arg-type]


def to_warn(
    engine: Engine, after: tuple[datetime, int] | None = None, limit: int = 100
) -> list[int]:
    with engine.connect() as connection:
        found = learners_to_warn(
            connection, active_from=WINDOW[0], active_before=WINDOW[1], after=after, limit=limit
        )
    return [one.id for one in found]


def test_the_range_is_half_open_and_walked_in_clock_order(engine: Engine) -> None:
    before = add_learner(engine, 1, WINDOW[0] - timedelta(microseconds=1))
    first = add_learner(engine, 2, WINDOW[0])
    late = add_learner(engine, 3, WINDOW[1] - timedelta(microseconds=1))
    middle_b = add_learner(engine, 4, datetime(2024, 8, 15, tzinfo=UTC))
    middle_a = add_learner(engine, 5, datetime(2024, 8, 10, tzinfo=UTC))
    add_learner(engine, 6, WINDOW[1])

    assert before not in to_warn(engine)
    assert to_warn(engine) == [first, middle_a, middle_b, late]
    assert to_warn(engine, limit=2) == [first, middle_a]
    # The keyset resumes after the last row read, ties on the instant broken by id.
    twin = add_learner(engine, 7, datetime(2024, 8, 10, tzinfo=UTC))
    assert to_warn(engine, after=(datetime(2024, 8, 10, tzinfo=UTC), middle_a)) == [
        twin,
        middle_b,
        late,
    ]


def test_the_key_rebuilt_in_sql_matches_the_one_written(engine: Engine) -> None:
    # Microseconds, and an instant given in Paris time: the key spells it in UTC either way.
    paris = timezone(timedelta(hours=2))
    instants = [
        datetime(2024, 8, 20, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2024, 8, 21, 1, 30, 0, 5, tzinfo=paris),
        datetime(2024, 8, 22, tzinfo=UTC),
    ]
    ids = [add_learner(engine, n, at) for n, at in enumerate(instants)]
    assert to_warn(engine) == [ids[1], ids[0], ids[2]]  # 23:30 UTC comes before 23:59 UTC
    with engine.begin() as connection:
        queued = queue_messages(
            connection,
            [
                message(inactivity_warning_key(i, at), i)
                for i, at in zip(ids, instants, strict=True)
            ],
            now=NOW,
        )
    assert queued == {inactivity_warning_key(i, at) for i, at in zip(ids, instants, strict=True)}
    assert inactivity_warning_key(ids[1], instants[1]).endswith(":2024-08-20T23:30:00.000005+00:00")
    # Every learner's key is taken: the NOT EXISTS leaves them all out.
    assert to_warn(engine) == []


def test_a_key_already_queued_is_skipped_without_error(engine: Engine) -> None:
    learner_id = add_learner(engine, 1, datetime(2024, 8, 20, tzinfo=UTC))
    with engine.begin() as connection:
        assert queue_messages(connection, [message("k-1", learner_id)], now=NOW) == {"k-1"}
    # As a concurrent run would: the same key again, with a new one.
    with engine.begin() as connection:
        again = [message("k-1", learner_id, body="autre\n"), message("k-2", learner_id)]
        assert queue_messages(connection, again, now=NOW) == {"k-2"}
    with engine.connect() as connection:
        rows = connection.execute(select(outbox_message.c.dedupe_key, outbox_message.c.body))
        assert sorted(tuple(row) for row in rows) == [("k-1", "Bonjour\n"), ("k-2", "Bonjour\n")]
        assert queue_messages(connection, [], now=NOW) == set()


def test_pending_messages_are_the_unsent_due_ones_oldest_first(engine: Engine) -> None:
    with engine.begin() as connection:
        queue_messages(
            connection,
            [
                message("later", send_after=NOW + timedelta(hours=1)),
                message("due-second", send_after=NOW - timedelta(minutes=1)),
                message("due-first", send_after=NOW - timedelta(days=1)),
                message("sent", send_after=NOW - timedelta(days=2)),
                message("due-now", send_after=NOW),
            ],
            now=NOW - timedelta(days=3),
        )
        connection.execute(
            update(outbox_message)
            .where(outbox_message.c.dedupe_key == "sent")
            .values(sent_at=NOW - timedelta(days=1))
        )
    with engine.connect() as connection:
        pending = pending_messages(connection, now=NOW, limit=10)
        assert [m.dedupe_key for m in pending] == ["due-first", "due-second", "due-now"]
        assert [m.dedupe_key for m in pending_messages(connection, now=NOW, limit=2)] == [
            "due-first",
            "due-second",
        ]
        assert pending[0].created_at == NOW - timedelta(days=3)
        assert pending[0].attempts == 0
        assert pending[0].sent_at is None


def test_messages_for_a_learner_are_theirs_only_oldest_first(engine: Engine) -> None:
    camille = add_learner(engine, 1, datetime(2024, 8, 20, tzinfo=UTC))
    other = add_learner(engine, 2, datetime(2024, 8, 20, tzinfo=UTC))
    with engine.begin() as connection:
        queue_messages(connection, [message("second", camille)], now=NOW)
        queue_messages(connection, [message("first", camille)], now=NOW - timedelta(days=30))
        queue_messages(connection, [message("someone-else", other)], now=NOW)
        queue_messages(connection, [message("no-learner")], now=NOW)
    with engine.connect() as connection:
        assert [m.dedupe_key for m in messages_for(connection, camille)] == ["first", "second"]
        assert [m.learner_id for m in messages_for(connection, other)] == [other]
        assert messages_for(connection, 999_999) == []

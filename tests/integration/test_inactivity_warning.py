"""``queue_inactivity_warnings``: who is warned, when, once per clock cycle, and what is logged.

The default policy keeps learners' data 18 months after their last activity and warns 30 days
before. "k days before expiry" below counts days from the as-of date to the deletion day (the
first expired day, when the sweep erases the learner): 30 is warned, 31 not yet, 0 is too late.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine, func, insert, select, update

from gardien.domain.clock import FixedClock
from gardien.domain.retention import first_expired_day
from gardien.policy import DEFAULT_POLICY_PATH, Policy, load_policy
from gardien.policy.model import ExpiryWarning
from gardien.services.inactivity import (
    AUDIT_ACTION,
    AUDIT_ACTOR,
    WarningReport,
    queue_inactivity_warnings,
)
from gardien.store.audit import verify_audit
from gardien.store.catalogue import record_catalogue
from gardien.store.outbox import INACTIVITY_WARNING, inactivity_warning_key, messages_for
from gardien.store.tables import audit_entry, learner, outbox_message
from gardien.store.uow import UnitOfWork

PORTAL = "https://portail.example.org/connexion"
# No calendar clamping near these dates: every deletion day has exactly one last-activity day.
TODAY = date(2026, 7, 15)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(DEFAULT_POLICY_PATH, catalogue=record_catalogue())


def with_warning(policy: Policy, warning: ExpiryWarning | None) -> Policy:
    """The policy with the learner rule's warning replaced."""
    rule = policy.retention["learner_data"].model_copy(update={"warning": warning})
    return policy.model_copy(update={"retention": {**policy.retention, "learner_data": rule}})


def last_active_day(deletion_day: date, months: int = 18) -> date:
    """The last-activity day whose data is erased from ``deletion_day``."""
    guess = deletion_day - relativedelta(months=months)
    candidates = [guess + timedelta(days=shift) for shift in range(-5, 6)]
    [day] = [d for d in candidates if first_expired_day(d, months) == deletion_day]
    return day


def erased_in(days: int, at: time = time(10, 0)) -> datetime:
    """A last-activity instant whose data is erased ``days`` days after ``TODAY``."""
    return datetime.combine(last_active_day(TODAY + timedelta(days=days)), at, tzinfo=UTC)


def add_learner(engine: Engine, number: int, last_activity_at: datetime) -> int:
    """A fictional learner, last active at ``last_activity_at``; returns their id."""
    with engine.begin() as connection:
        row = connection.execute(
            insert(learner)
            .values(
                pseudonym=f"00000000-0000-4000-8000-{number:012d}",
                email=f"apprenant.{number}@example.org",
                given_name=f"Prenom{number}",
                family_name=f"Nomfictif{number}",
                created_at=last_activity_at - timedelta(days=400),
                last_activity_at=last_activity_at,
            )
            .returning(learner.c.id)
        ).scalar_one()
    return int(row)


def run(engine: Engine, policy: Policy, day: date, *, batch_size: int = 1000) -> WarningReport:
    return queue_inactivity_warnings(
        UnitOfWork(engine, write=True),
        policy=policy,
        clock=FixedClock.on(day),
        portal_url=PORTAL,
        batch_size=batch_size,
    )


def outbox(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(outbox_message).order_by(outbox_message.c.id))
        return [dict(row._mapping) for row in rows]


def warned_ids(engine: Engine) -> list[int]:
    return sorted(row["learner_id"] for row in outbox(engine))


def audit_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(audit_entry).order_by(audit_entry.c.id))
        return [dict(row._mapping) for row in rows]


def learner_row(engine: Engine, learner_id: int) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(select(learner).where(learner.c.id == learner_id)).one()
        return dict(row._mapping)


# -- who is warned -----------------------------------------------------------------------------


def test_exactly_the_learners_expiring_within_30_days_are_warned(
    engine: Engine, policy: Policy
) -> None:
    learners: dict[str, int] = {}
    for number, (name, days, at) in enumerate(
        [
            ("31 days", 31, time(12, 0)),
            ("30 days, first instant of the day", 30, time(0, 0)),
            ("29 days", 29, time(9, 30)),
            ("1 day (today is the last day kept)", 1, time(23, 59, 59, 999999)),
            ("0 days (erased from today)", 0, time(23, 59, 59, 999999)),
            ("expired ten days ago", -10, time(8, 0)),
        ]
    ):
        learners[name] = add_learner(engine, number, erased_in(days, at))

    report = run(engine, policy, TODAY)

    expected = [
        "30 days, first instant of the day",
        "29 days",
        "1 day (today is the last day kept)",
    ]
    assert warned_ids(engine) == sorted(learners[name] for name in expected)
    assert report.rules["learner_data"].queued == 3
    assert report.total == 3


def test_the_warning_gives_the_day_the_data_will_be_erased(engine: Engine, policy: Policy) -> None:
    # Last active 31 August 2024: kept through 28 February 2026, erased from 1 March 2026.
    last_activity = datetime(2024, 8, 31, 18, 0, tzinfo=UTC)
    learner_id = add_learner(engine, 1, last_activity)

    assert run(engine, policy, date(2026, 1, 29)).total == 0  # 31 days before: not yet
    assert run(engine, policy, date(2026, 1, 30)).total == 1  # 30 days before

    [message] = outbox(engine)
    assert message["kind"] == INACTIVITY_WARNING
    assert message["learner_id"] == learner_id
    assert message["recipient"] == "apprenant.1@example.org"
    assert message["dedupe_key"] == inactivity_warning_key(learner_id, last_activity)
    stamp = "2024-08-31T18:00:00.000000+00:00"
    assert message["dedupe_key"] == f"inactivity-warning:{learner_id}:{stamp}"
    now = FixedClock.on(date(2026, 1, 30)).now()
    assert message["created_at"] == now
    assert message["send_after"] == now
    assert message["sent_at"] is None
    assert message["attempts"] == 0
    assert message["last_error"] is None
    assert "1er mars 2026" in message["subject"]
    assert "1 March 2026" in message["subject"]
    body = message["body"]
    assert "Bonjour Prenom1," in body
    assert "supprimées à partir du 1er mars 2026" in body
    assert "conservées jusqu'au 28 février 2026 inclus" in body
    assert "remonte au 31 août 2024" in body
    assert "deleted from 1 March 2026" in body
    assert "kept until 28 February 2026 inclusive" in body
    assert PORTAL in body


def test_french_comes_first_then_english(engine: Engine, policy: Policy) -> None:
    add_learner(engine, 1, datetime(2024, 8, 31, 18, 0, tzinfo=UTC))
    run(engine, policy, date(2026, 2, 10))

    [message] = outbox(engine)
    subject, body = message["subject"], message["body"]
    assert subject.index("supprimé le") < subject.index("deleted on")
    assert body.index("Bonjour") < body.index("Pour conserver votre compte") < body.index("Hello")
    assert body.index("Hello") < body.index("To keep your account")
    assert body.count(PORTAL) == 2


# -- one per cycle -----------------------------------------------------------------------------


def test_a_rerun_the_same_day_and_the_next_days_queue_nothing_more(
    engine: Engine, policy: Policy
) -> None:
    ids = [add_learner(engine, n, erased_in(d)) for n, d in enumerate([30, 12, 2])]
    assert run(engine, policy, TODAY).total == 3
    first = outbox(engine)

    assert run(engine, policy, TODAY).total == 0
    assert run(engine, policy, TODAY + timedelta(days=1)).total == 0
    assert run(engine, policy, TODAY + timedelta(days=2)).total == 0

    assert outbox(engine) == first
    assert warned_ids(engine) == sorted(ids)
    assert len(audit_rows(engine)) == 1  # batches that queue nothing log nothing


def test_signing_in_starts_a_new_cycle_that_is_warned_again(engine: Engine, policy: Policy) -> None:
    first_activity = datetime(2024, 8, 31, 18, 0, tzinfo=UTC)
    learner_id = add_learner(engine, 1, first_activity)
    assert run(engine, policy, date(2026, 2, 1)).total == 1

    # The learner follows the link and signs in: their clock moves, their data is kept.
    signed_in = datetime(2026, 2, 3, 8, 15, 30, 123456, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            update(learner).where(learner.c.id == learner_id).values(last_activity_at=signed_in)
        )
    assert run(engine, policy, date(2026, 2, 4)).total == 0
    # Erased from 4 August 2027 unless active again: warned 30 days before, once.
    assert first_expired_day(signed_in, 18) == date(2027, 8, 4)
    assert run(engine, policy, date(2027, 7, 4)).total == 0
    assert run(engine, policy, date(2027, 7, 5)).total == 1
    assert run(engine, policy, date(2027, 7, 20)).total == 0

    with engine.connect() as connection:
        messages = messages_for(connection, learner_id)
    assert [m.dedupe_key for m in messages] == [
        inactivity_warning_key(learner_id, first_activity),
        inactivity_warning_key(learner_id, signed_in),
    ]
    assert "1er mars 2026" in messages[0].body
    assert "4 août 2027" in messages[1].body


def test_queuing_a_warning_is_not_an_activity(engine: Engine, policy: Policy) -> None:
    learner_id = add_learner(engine, 1, datetime(2024, 8, 31, 18, 0, tzinfo=UTC))
    before = learner_row(engine, learner_id)

    assert run(engine, policy, date(2026, 2, 1)).total == 1

    assert learner_row(engine, learner_id) == before


def test_two_concurrent_runs_queue_one_warning_per_learner(engine: Engine, policy: Policy) -> None:
    ids = [add_learner(engine, n, erased_in(1 + n % 30, time(n % 24))) for n in range(40)]
    start = threading.Barrier(2)
    reports: list[WarningReport] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            reports.append(run(engine, policy, TODAY, batch_size=3))
        except BaseException as exc:  # collected: the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert warned_ids(engine) == sorted(ids)
    assert sum(report.total for report in reports) == 40
    assert sum(row["details"]["count"] for row in audit_rows(engine)) == 40
    with engine.connect() as connection:
        assert verify_audit(connection).ok


# -- policy and batches ------------------------------------------------------------------------


def test_no_warning_when_the_policy_asks_for_none(engine: Engine, policy: Policy) -> None:
    add_learner(engine, 1, datetime(2024, 8, 31, 18, 0, tzinfo=UTC))
    silent = with_warning(policy, None)

    report = run(engine, silent, date(2026, 2, 1))

    assert report.rules == {}
    assert report.total == 0
    assert "no retention rule asks for one" in report.summary()
    assert outbox(engine) == []
    assert audit_rows(engine) == []


def test_the_number_of_days_comes_from_the_policy(engine: Engine, policy: Policy) -> None:
    ids = {d: add_learner(engine, d, erased_in(d)) for d in (11, 10, 3)}
    report = run(engine, with_warning(policy, ExpiryWarning(days_before=10)), TODAY)

    assert warned_ids(engine) == sorted([ids[10], ids[3]])
    assert report.rules["learner_data"].days_before == 10


def test_batches_are_bounded_and_each_is_audited(engine: Engine, policy: Policy) -> None:
    for n in range(7):
        add_learner(engine, n, erased_in(5, time(10, n)))

    report = run(engine, policy, TODAY, batch_size=3)

    result = report.rules["learner_data"]
    assert (result.queued, result.batches) == (7, 3)
    assert [row["details"]["count"] for row in audit_rows(engine)] == [3, 3, 1]
    assert report.as_dict()["rules"]["learner_data"]["queued"] == 7
    assert "learner_data: 7 queued" in report.summary()


def test_the_audit_entry_names_learners_by_pseudonym_only(engine: Engine, policy: Policy) -> None:
    ids = [add_learner(engine, n, datetime(2024, 8, 31, 18, n, tzinfo=UTC)) for n in range(2)]

    run(engine, policy, date(2026, 2, 1))

    [entry] = audit_rows(engine)
    assert entry["action"] == AUDIT_ACTION == "inactivity.warned"
    assert entry["actor"] == AUDIT_ACTOR == "sweep"
    details = entry["details"]
    assert details["rule"] == "learner_data"
    assert details["as_of"] == "2026-02-01"
    assert details["count"] == 2
    pseudonyms = sorted(learner_row(engine, i)["pseudonym"] for i in ids)
    assert sorted(details["learners"]) == pseudonyms
    text = json.dumps(entry, default=str)
    for learner_id in ids:
        row = learner_row(engine, learner_id)
        for personal in (row["email"], row["given_name"], row["family_name"]):
            assert personal not in text
    assert "@" not in text
    with engine.connect() as connection:
        assert verify_audit(connection).ok


def test_an_interrupted_run_is_finished_by_the_next(engine: Engine, policy: Policy) -> None:
    for n in range(5):
        add_learner(engine, n, datetime(2024, 8, 31, 18, n, tzinfo=UTC))
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(outbox_message)).scalar() == 0

    class Crash(Exception):
        pass

    class CrashingUnitOfWork(UnitOfWork):
        """Commits the first batch, then fails in the second, before committing it."""

        batches = 0

        def commit(self) -> None:
            CrashingUnitOfWork.batches += 1
            if CrashingUnitOfWork.batches == 2:
                raise Crash
            super().commit()

    with pytest.raises(Crash):
        queue_inactivity_warnings(
            CrashingUnitOfWork(engine, write=True),
            policy=policy,
            clock=FixedClock.on(date(2026, 2, 1)),
            portal_url=PORTAL,
            batch_size=2,
        )
    assert len(outbox(engine)) == 2
    assert len(audit_rows(engine)) == 1

    assert run(engine, policy, date(2026, 2, 1), batch_size=2).total == 3
    assert len(outbox(engine)) == 5
    assert [row["details"]["count"] for row in audit_rows(engine)] == [2, 2, 1]

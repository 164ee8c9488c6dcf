"""The DPO console's service on SQLite and PostgreSQL: the requests most urgent first, the
overdue flag at its boundary, the last sweeps rebuilt from the audit log, the chain's status,
and the DPO's decisions, each audited under ``dpo:<id>``."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from gardien.bootstrap import Container
from gardien.domain.clock import FixedClock
from gardien.domain.deadlines import extended_due, response_due
from gardien.errors import InvalidInputError, NotFoundError, RequestStateError
from gardien.services import console
from gardien.services.accounts.context import AccountServices
from gardien.services.requests import RequestView, close_request, record_request
from gardien.settings import Settings
from gardien.store.audit import append_audit
from gardien.store.tables import (
    audit_entry,
    commercial_contact,
    contact_message,
    newsletter_subscription,
    outbox_message,
    subject_request,
)
from gardien.store.uow import UnitOfWork
from tests.support.retention_samples import default_policy, run_sweep
from tests.support.sweep_people import CURIOUS, load_messages

pytestmark = pytest.mark.integration

DPO = console.dpo_actor(7)
# Received on these instants, due on these days (one month, rolled to a working day).
OVERDUE_ONE = datetime(2026, 4, 20, 9, 0, tzinfo=UTC)  # due Wednesday 20 May 2026
DUE_TODAY = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)  # due Thursday 4 June 2026
SUNDAY = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)  # due Wednesday 10 June 2026
EXTENDED = datetime(2026, 5, 15, 9, 0, tzinfo=UTC)  # due Monday 15 June; extended: 17 August
CLOSED = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)  # due Friday 5 June 2026, closed on 1 June
TODAY = date(2026, 6, 4)


def services_at(engine: Engine, instant: datetime) -> AccountServices:
    """What the request use cases need, with the clock stopped at ``instant``."""
    container = Container(
        settings=Settings(), policy=default_policy(), clock=FixedClock(instant), _engine=engine
    )
    return container.accounts()


def record(engine: Engine, at: datetime, email: str, kind: str = "access", **options: Any) -> str:
    with engine.begin() as connection:
        view = record_request(
            connection,
            now=at,
            email=email,
            kind=kind,
            identity_check=options.pop("identity_check", "email_link"),
            actor="web",
            **options,
        )
    return view.reference


def view(engine: Engine, reference: str, today: date) -> RequestView:
    return console.console_request(UnitOfWork(engine), reference, today=today)


def entries(engine: Engine, action: str) -> list[Any]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(audit_entry).where(audit_entry.c.action == action).order_by(audit_entry.c.id)
            )
        )


@pytest.fixture
def requests(engine: Engine) -> dict[str, str]:
    """Five requests: one overdue, one due today, one extended, one closed, one from a Sunday."""
    made = {
        "overdue": record(engine, OVERDUE_ONE, "alix.retard@example.org"),
        "due_today": record(engine, DUE_TODAY, "bao.jour@example.org", "erasure"),
        "sunday": record(engine, SUNDAY, "cyril.dimanche@example.org", "objection"),
        "extended": record(engine, EXTENDED, "dana.delai@example.org", "portability"),
        "closed": record(engine, CLOSED, "eli.clos@example.org", "rectification"),
    }
    console.extend(
        UnitOfWork(engine, write=True),
        services_at(engine, datetime(2026, 5, 20, 14, 0, tzinfo=UTC)),
        reference=made["extended"],
        reason="Nous devons rassembler des archives papier.",
        actor=DPO,
    )
    close_request(
        UnitOfWork(engine, write=True),
        services_at(engine, datetime(2026, 6, 1, 8, 0, tzinfo=UTC)),
        reference=made["closed"],
        status="completed",
        outcome={"note": "Adresse corrigée."},
        actor=DPO,
    )
    return made


def test_the_due_days_are_the_legal_ones() -> None:
    assert response_due(OVERDUE_ONE.date()) == date(2026, 5, 20)
    assert response_due(DUE_TODAY.date()) == date(2026, 6, 4)
    assert response_due(SUNDAY.date()) == date(2026, 6, 10)
    assert response_due(EXTENDED.date()) == date(2026, 6, 15)
    # 15 August 2026 is a Saturday and a holiday: the extended period ends on Monday the 17th.
    assert extended_due(EXTENDED.date()) == date(2026, 8, 17)
    assert response_due(CLOSED.date()) == date(2026, 6, 5)


def test_open_requests_come_most_urgent_first(engine: Engine, requests: dict[str, str]) -> None:
    listed = console.open_requests(UnitOfWork(engine), today=TODAY)

    assert [item.reference for item in listed] == [
        requests["overdue"],
        requests["due_today"],
        requests["sunday"],
        requests["extended"],
    ]
    assert [item.days_left for item in listed] == [-15, 0, 6, 74]
    assert [item.overdue for item in listed] == [True, False, False, False]


def test_the_due_day_is_not_overdue_the_next_day_is(
    engine: Engine, requests: dict[str, str]
) -> None:
    on_the_day = view(engine, requests["due_today"], date(2026, 6, 4))
    assert (on_the_day.days_left, on_the_day.overdue) == (0, False)

    next_day = view(engine, requests["due_today"], date(2026, 6, 5))
    assert (next_day.days_left, next_day.overdue) == (-1, True)
    assert [
        item.reference for item in console.open_requests(UnitOfWork(engine), today=date(2026, 6, 5))
    ][:2] == [
        requests["overdue"],
        requests["due_today"],
    ]


def test_a_closed_request_is_never_overdue(engine: Engine, requests: dict[str, str]) -> None:
    for today in (date(2026, 6, 5), date(2026, 6, 6), date(2027, 1, 1)):
        closed = view(engine, requests["closed"], today)
        assert closed.closed and not closed.overdue
    assert requests["closed"] not in {
        item.reference for item in console.open_requests(UnitOfWork(engine), today=TODAY)
    }


def test_an_extended_request_counts_from_its_extension(
    engine: Engine, requests: dict[str, str]
) -> None:
    after_first_due = view(engine, requests["extended"], date(2026, 6, 16))
    assert after_first_due.deadline.effective_due == date(2026, 8, 17)
    assert (after_first_due.days_left, after_first_due.overdue) == (62, False)

    on_the_day = view(engine, requests["extended"], date(2026, 8, 17))
    assert (on_the_day.days_left, on_the_day.overdue) == (0, False)
    next_day = view(engine, requests["extended"], date(2026, 8, 18))
    assert (next_day.days_left, next_day.overdue) == (-1, True)


# -- the dashboard: sweeps and the audit chain ------------------------------------------------


def test_the_dashboard_shows_a_real_sweep_and_a_sound_chain(engine: Engine) -> None:
    load_messages(engine)
    day = date(2026, 6, 1)
    report = run_sweep(engine, day)
    expired = sum(rule.expired for rule in report.rules)
    assert expired >= 1  # the older of the two contact messages

    board = console.dashboard(engine, policy=default_policy(), clock=FixedClock.on(day))

    [run] = board.sweeps
    assert run.as_of == day
    assert run.actor == "sweep"
    assert run.records == expired
    rows: dict[str, int] = {}
    for rule in report.rules:
        for table, count in rule.rows.items():
            rows[table] = rows.get(table, 0) + count
    assert run.rows == rows and run.rows["contact_message"] == 1
    assert run.batches == sum(rule.batches for rule in report.rules)
    assert board.chain.ok and board.chain.entries_checked == len(entries(engine, "sweep.batch"))
    assert board.forecast.as_of == day and board.forecast.until == date(2026, 12, 1)
    assert {rule.rule for rule in board.forecast.rules} == set(default_policy().retention)
    assert board.requests == [] and board.overdue == 0


def test_each_sweep_is_one_run_newest_first(engine: Engine) -> None:
    load_messages(engine)
    run_sweep(engine, date(2026, 3, 2))  # the first message expires
    run_sweep(engine, date(2026, 3, 2))  # nothing left: no entry, no run
    run_sweep(engine, date(2026, 12, 3))  # the second one

    runs = console.last_sweeps(UnitOfWork(engine), policy=default_policy())

    assert [run.as_of for run in runs] == [date(2026, 12, 3), date(2026, 3, 2)]
    assert [run.rows.get("contact_message") for run in runs] == [1, 1]
    with engine.connect() as connection:
        assert connection.execute(select(contact_message.c.email)).all() == []


def _batch(engine: Engine, rule: str, as_of: str, actor: str = "sweep") -> None:
    with engine.begin() as connection:
        append_audit(
            connection,
            action="sweep.batch",
            actor=actor,
            details={"rule": rule, "as_of": as_of, "records": 2, "rows": {rule: 2}},
            recorded_at=datetime.fromisoformat(f"{as_of}T03:00:00+00:00"),
        )


def test_runs_are_told_apart_by_day_actor_and_rule_order(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "_CHUNK", 2)  # runs that span several reads
    rules = list(default_policy().retention)
    first, second = rules[0], rules[1]
    _batch(engine, first, "2026-05-01")
    _batch(engine, second, "2026-05-01")
    _batch(engine, first, "2026-05-02")
    _batch(engine, first, "2026-05-02")
    with engine.begin() as connection:
        append_audit(
            connection,
            action="request.recorded",
            actor="web",
            details={"request": "DSR-X"},
            recorded_at=datetime(2026, 5, 2, 4, tzinfo=UTC),
        )
    _batch(engine, second, "2026-05-02")
    _batch(engine, first, "2026-05-02")  # the rules start again: a second run that day
    _batch(engine, first, "2026-05-02", actor="cli")  # someone else's run

    runs = console.last_sweeps(UnitOfWork(engine), policy=default_policy())
    assert [(run.as_of, run.actor, run.batches, run.rules) for run in runs] == [
        (date(2026, 5, 2), "cli", 1, (first,)),
        (date(2026, 5, 2), "sweep", 1, (first,)),
        (date(2026, 5, 2), "sweep", 3, (first, second)),
        (date(2026, 5, 1), "sweep", 2, (first, second)),
    ]
    assert runs[2].records == 6 and runs[2].rows == {first: 4, second: 2}

    newest = console.last_sweeps(UnitOfWork(engine), policy=default_policy(), limit=3)
    assert [run.batches for run in newest] == [1, 1, 3]


def test_a_broken_chain_names_its_first_broken_entry(engine: Engine) -> None:
    load_messages(engine)
    run_sweep(engine, date(2026, 6, 1))
    first = entries(engine, "sweep.batch")[0]
    with engine.begin() as connection:
        connection.execute(
            update(audit_entry).where(audit_entry.c.id == first.id).values(actor="someone")
        )

    board = console.dashboard(
        engine, policy=default_policy(), clock=FixedClock.on(date(2026, 6, 1))
    )

    assert not board.chain.ok
    assert board.chain.first_broken_id == first.id


# -- the DPO's decisions ----------------------------------------------------------------------


def _no_address(details: Any) -> bool:
    return "@" not in json.dumps(details)


def test_an_empty_reason_changes_nothing(engine: Engine, requests: dict[str, str]) -> None:
    services = services_at(engine, datetime(2026, 6, 1, 10, tzinfo=UTC))
    before = view(engine, requests["due_today"], TODAY)
    for decide, field in ((console.extend, "reason"), (console.refuse, "reason")):
        with pytest.raises(InvalidInputError):
            decide(
                UnitOfWork(engine, write=True),
                services,
                reference=requests["due_today"],
                actor=DPO,
                **{field: "  \n "},
            )
    with pytest.raises(InvalidInputError):
        console.complete(
            UnitOfWork(engine, write=True),
            services,
            reference=requests["due_today"],
            note="x" * (console.MAX_TEXT + 1),
            actor=DPO,
        )
    assert view(engine, requests["due_today"], TODAY) == before


def test_what_the_state_forbids_is_refused(engine: Engine, requests: dict[str, str]) -> None:
    services = services_at(engine, datetime(2026, 6, 1, 10, tzinfo=UTC))
    with pytest.raises(RequestStateError):  # extended already
        console.extend(
            UnitOfWork(engine, write=True),
            services,
            reference=requests["extended"],
            reason="Encore.",
            actor=DPO,
        )
    with pytest.raises(RequestStateError):  # closed
        console.refuse(
            UnitOfWork(engine, write=True),
            services,
            reference=requests["closed"],
            reason="Trop tard.",
            actor=DPO,
        )
    with pytest.raises(RequestStateError):  # not an erasure
        console.carry_out_erasure(
            UnitOfWork(engine, write=True),
            services,
            reference=requests["sunday"],
            actor=DPO,
        )
    late = services_at(engine, datetime(2026, 5, 21, 10, tzinfo=UTC))
    with pytest.raises(RequestStateError):  # past the first due day
        console.extend(
            UnitOfWork(engine, write=True),
            late,
            reference=requests["overdue"],
            reason="Trop tard.",
            actor=DPO,
        )
    with pytest.raises(NotFoundError):
        console.complete(
            UnitOfWork(engine, write=True), services, reference="DSR-NONE", note="x", actor=DPO
        )


def test_decisions_are_audited_under_the_dpos_id(engine: Engine, requests: dict[str, str]) -> None:
    services = services_at(engine, datetime(2026, 6, 1, 10, tzinfo=UTC))
    done = console.complete(
        UnitOfWork(engine, write=True),
        services,
        reference=requests["sunday"],
        note="Opposition enregistrée pour la prospection.",
        actor=DPO,
    )
    assert done.status == "completed"
    assert done.outcome == {"note": "Opposition enregistrée pour la prospection."}
    refused = console.refuse(
        UnitOfWork(engine, write=True),
        services,
        reference=requests["overdue"],
        reason="Demande manifestement infondée.",
        actor=DPO,
    )
    assert refused.status == "refused" and not refused.overdue

    for action in ("request.extended", "request.completed", "request.refused"):
        found = [entry for entry in entries(engine, action) if entry.actor == DPO]
        assert found and all(_no_address(entry.details) for entry in found)


def test_an_erasure_by_link_is_carried_out_closed_and_told(
    engine: Engine, requests: dict[str, str]
) -> None:
    load_messages(engine)
    reference = record(engine, datetime(2026, 5, 25, 9, tzinfo=UTC), CURIOUS, "erasure")

    closed, result = console.carry_out_erasure(
        UnitOfWork(engine, write=True),
        services_at(engine, datetime(2026, 6, 1, 10, tzinfo=UTC)),
        reference=reference,
        actor=DPO,
    )

    assert closed.status == "completed"
    # The outcome is the erasure's result, without the address the request row already holds.
    expected = result.as_json()
    expected.pop("subject")
    assert closed.outcome == expected
    assert CURIOUS not in json.dumps(closed.outcome)
    assert result.erased == {"contact_message": 2}
    with engine.connect() as connection:
        assert connection.execute(select(contact_message)).all() == []
        # One e-mail tells the person what went, with their request's page; no other.
        [mail] = connection.execute(
            select(outbox_message).where(outbox_message.c.recipient == CURIOUS)
        ).all()
        assert (
            connection.execute(
                select(subject_request.c.status).where(subject_request.c.reference == reference)
            ).scalar_one()
            == "completed"
        )
    # The same e-mail as after an erasure from « Mes données », with the request's page.
    assert mail.kind == "erasure_done"
    assert f"(demande {reference})" in mail.body
    assert "Comme vous l'avez demandé" in mail.body
    assert "http://127.0.0.1:8000/requests/status/" in mail.body
    [erased] = entries(engine, "subject.erased")
    assert erased.actor == DPO and _no_address(erased.details)


def test_reading_the_messages_is_audited_with_a_count(engine: Engine) -> None:
    load_messages(engine)
    now = datetime(2026, 6, 1, 10, tzinfo=UTC)

    messages = console.view_messages(UnitOfWork(engine, write=True), actor=DPO, now=now)

    assert [m.email for m in messages] == [CURIOUS, CURIOUS]
    assert messages[0].received_at > messages[1].received_at
    [entry] = entries(engine, console.MESSAGES_VIEWED)
    assert (entry.actor, entry.details) == (DPO, {"count": 2})


def test_an_objection_by_link_stops_and_closes_in_one_go(engine: Engine) -> None:
    now = datetime(2026, 6, 1, 10, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            commercial_contact.insert().values(
                email=CURIOUS,
                contract_reference="C-OLD",
                last_contract_end=date(2026, 1, 31),
                created_at=now,
            )
        )
        connection.execute(
            newsletter_subscription.insert().values(
                email=CURIOUS,
                status="confirmed",
                created_at=now,
                consent_at=now,
                consent_source="website:/newsletter",
                consent_notice_version="v",
                consent_wording="Oui",
                confirmed_at=now,
            )
        )
    reference = record(engine, datetime(2026, 5, 25, 9, tzinfo=UTC), CURIOUS, "objection")
    done = console.carry_out_objection(
        UnitOfWork(engine, write=True), services_at(engine, now), reference=reference, actor=DPO
    )
    assert done.status == "completed" and done.outcome is not None
    assert done.outcome["removed"]["commercial_contact"] == 1
    assert done.outcome["removed"]["newsletter_subscription"] == 1
    with engine.connect() as connection:
        assert connection.execute(select(commercial_contact)).all() == []
        assert connection.execute(select(newsletter_subscription)).all() == []
    # Once closed, it cannot be carried out again; an erasure request is not an objection.
    with pytest.raises(RequestStateError):
        console.carry_out_objection(
            UnitOfWork(engine, write=True), services_at(engine, now), reference=reference, actor=DPO
        )
    other = record(engine, datetime(2026, 5, 25, 9, tzinfo=UTC), CURIOUS, "erasure")
    with pytest.raises(RequestStateError):
        console.carry_out_objection(
            UnitOfWork(engine, write=True), services_at(engine, now), reference=other, actor=DPO
        )

"""Accounts as services, on SQLite and PostgreSQL: sign-in, sessions and their timeouts,
invitations, password reset, and the retention of accounts, sessions and requests."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, update

from gardien.domain.clock import Clock, FixedClock
from gardien.errors import AuthenticationError, InvalidLinkError, PasswordRejectedError
from gardien.services.accounts.breached import LocalBreachedList
from gardien.services.accounts.context import AccountServices
from gardien.services.accounts.invitations import activate, invite, invite_learners
from gardien.services.accounts.passwords import PasswordHasher
from gardien.services.accounts.reset import request_reset, reset_password
from gardien.services.accounts.sessions import SessionTimeouts, read_session
from gardien.services.accounts.signin import sign_in, sign_out
from gardien.services.requests import close_request, record_request
from gardien.services.sweep import sweep
from gardien.store.tables import (
    account,
    commercial_contact,
    contract,
    contract_learner,
    learner,
    outbox_message,
    subject_request,
    web_session,
)
from gardien.store.uow import UnitOfWork
from tests.support.lookup import LOOKUP
from tests.support.retention_samples import default_policy

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
GOOD = "a long and unusual passphrase 7"
HASHER = PasswordHasher()


def services(clock: Clock) -> AccountServices:
    return AccountServices(
        policy=default_policy(),
        clock=clock,
        secret="integration-secret",
        public_url="http://127.0.0.1:8000",
        hasher=HASHER,
        breached=LocalBreachedList(),
        lookup=LOOKUP,
        timeouts=SessionTimeouts(idle=timedelta(minutes=30), absolute=timedelta(hours=12)),
    )


def uow(engine: Engine) -> UnitOfWork:
    return UnitOfWork(engine, write=True)


def add_learner(engine: Engine, email: str, *, active: datetime = NOW) -> int:
    with engine.begin() as connection:
        return int(
            connection.execute(
                insert(learner)
                .values(
                    pseudonym=str(uuid.uuid4()),
                    email=email,
                    given_name="Prénom",
                    family_name="Fictif",
                    created_at=active,
                    last_activity_at=active,
                )
                .returning(learner.c.id)
            ).scalar_one()
        )


def links(engine: Engine, kind: str) -> list[str]:
    with engine.connect() as connection:
        bodies = connection.execute(
            select(outbox_message.c.body).where(outbox_message.c.kind == kind)
        ).scalars()
        return [
            line.strip().rsplit("/", 1)[1]
            for body in bodies
            for line in body.splitlines()
            if "/account/" in line
        ]


def one(engine: Engine, query: Any) -> Any:
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()


def opened(engine: Engine, email: str, clock: Clock | None = None) -> str:
    """An invited, activated learner; returns a session token from the activation."""
    clock = clock or FixedClock(NOW)
    learner_id = add_learner(engine, email)
    invite(uow(engine), services(clock), role="learner", learner_id=learner_id)
    token = links(engine, "account_invitation")[-1]
    return activate(uow(engine), services(clock), token=token, password=GOOD)


# -- sign-in ------------------------------------------------------------------------------------


def test_unknown_and_known_addresses_fail_alike_after_one_hash_each(engine: Engine) -> None:
    opened(engine, "lina.connue@example.org")
    failures = []
    for email, password in (
        ("lina.connue@example.org", "not the right passphrase"),
        ("personne@example.org", "not the right passphrase"),
    ):
        before = HASHER.verifications
        with pytest.raises(AuthenticationError) as caught:
            sign_in(uow(engine), services(FixedClock(NOW)), email=email, password=password)
        assert HASHER.verifications == before + 1  # the same work on both paths
        failures.append(str(caught.value))
    assert failures[0] == failures[1] == "wrong e-mail address or password"


def test_a_sign_in_is_learner_activity(engine: Engine) -> None:
    opened(engine, "lina.active@example.org")
    later = NOW + timedelta(days=40)
    with engine.begin() as connection:
        connection.execute(update(learner).values(last_activity_at=NOW))
    done = sign_in(
        uow(engine), services(FixedClock(later)), email="Lina.Active@Example.org ", password=GOOD
    )
    assert done.role == "learner" and not done.needs_second_factor
    assert one(engine, select(learner.c.last_activity_at)) == later
    assert one(engine, select(account.c.last_sign_in_at)) == later


# -- sessions -----------------------------------------------------------------------------------


def test_a_session_ends_after_30_idle_minutes(engine: Engine) -> None:
    token = opened(engine, "lina.idle@example.org")
    timeouts = SessionTimeouts()
    with engine.begin() as connection:
        step = NOW + timedelta(minutes=29)
        assert read_session(connection, token, now=step, timeouts=timeouts) is not None
        # Touched at 29 minutes: alive until 59.
        alive = read_session(connection, token, now=NOW + timedelta(minutes=58), timeouts=timeouts)
        assert alive is not None
        gone = read_session(connection, token, now=NOW + timedelta(minutes=89), timeouts=timeouts)
        assert gone is None
    assert one(engine, select(func.count()).select_from(web_session)) == 0


def test_a_busy_session_still_ends_12_hours_after_sign_in(engine: Engine) -> None:
    token = opened(engine, "lina.busy@example.org")
    timeouts = SessionTimeouts()
    with engine.begin() as connection:
        for step in range(1, 36):  # a request every 20 minutes, up to 11 h 40
            moment = NOW + timedelta(minutes=20 * step)
            assert read_session(connection, token, now=moment, timeouts=timeouts) is not None
        end = NOW + timedelta(hours=12)
        assert read_session(connection, token, now=end, timeouts=timeouts) is None


def test_signing_out_and_a_new_password_end_sessions(engine: Engine) -> None:
    clock = FixedClock(NOW)
    first = opened(engine, "lina.sortie@example.org")
    second = sign_in(
        uow(engine), services(clock), email="lina.sortie@example.org", password=GOOD
    ).token
    with engine.begin() as connection:
        session = read_session(connection, first, now=NOW, timeouts=SessionTimeouts())
    assert session is not None
    sign_out(uow(engine), session)
    with engine.begin() as connection:
        assert read_session(connection, first, now=NOW, timeouts=SessionTimeouts()) is None
        assert read_session(connection, second, now=NOW, timeouts=SessionTimeouts()) is not None
    request_reset(uow(engine), services(clock), email="lina.sortie@example.org", lang="fr")
    [link] = links(engine, "password_reset")
    reset_password(uow(engine), services(clock), token=link, password=GOOD + " again")
    with engine.begin() as connection:
        assert read_session(connection, second, now=NOW, timeouts=SessionTimeouts()) is None


# -- invitations and reset links ---------------------------------------------------------------


def test_learners_are_invited_once_at_their_contract_address(engine: Engine) -> None:
    ids = [add_learner(engine, f"contrat{n}@example.org") for n in range(3)]
    with engine.begin() as connection:
        contract_id = connection.execute(
            insert(contract)
            .values(
                reference="CT-INV",
                funding_type="employer_plan",
                signed_on=date(2026, 1, 1),
                starts_on=date(2026, 1, 1),
                ends_on=date(2026, 12, 31),
            )
            .returning(contract.c.id)
        ).scalar_one()
        connection.execute(
            insert(contract_learner),
            [{"contract_id": contract_id, "learner_id": i} for i in ids[:2]],
        )
    service = services(FixedClock(NOW))
    assert invite_learners(uow(engine), service, contract_reference="CT-INV") == 2
    assert invite_learners(uow(engine), service, contract_reference="CT-INV") == 0
    with engine.connect() as connection:
        recipients = connection.execute(
            select(outbox_message.c.recipient).where(outbox_message.c.kind == "account_invitation")
        ).scalars()
        assert sorted(recipients) == ["contrat0@example.org", "contrat1@example.org"]


def test_an_invitation_opens_the_account_once_and_refuses_weak_passwords(
    engine: Engine,
) -> None:
    learner_id = add_learner(engine, "lina.invitee@example.org")
    service = services(FixedClock(NOW))
    invite(uow(engine), service, role="learner", learner_id=learner_id)
    [link] = links(engine, "account_invitation")
    for weak, reason in (("short", "too_short"), ("azertyuiopqs", "breached")):
        with pytest.raises(PasswordRejectedError) as caught:
            activate(uow(engine), service, token=link, password=weak)
        assert caught.value.reason == reason
    assert one(engine, select(account.c.password_hash)) is None  # nothing half done
    activate(uow(engine), service, token=link, password=GOOD)
    with pytest.raises(InvalidLinkError):
        activate(uow(engine), service, token=link, password=GOOD + "!")
    late = services(FixedClock(NOW + timedelta(days=15)))
    other = add_learner(engine, "lina.tardive@example.org")
    invite(uow(engine), service, role="learner", learner_id=other)
    [_, expired] = links(engine, "account_invitation")
    with pytest.raises(InvalidLinkError):
        activate(uow(engine), late, token=expired, password=GOOD)


def test_a_reset_link_works_once_and_for_one_hour(engine: Engine) -> None:
    opened(engine, "lina.oubli@example.org")
    service = services(FixedClock(NOW))
    assert request_reset(uow(engine), service, email="personne@example.org", lang="fr") is False
    assert request_reset(uow(engine), service, email="lina.oubli@example.org", lang="fr") is True
    [link] = links(engine, "password_reset")
    late = services(FixedClock(NOW + timedelta(minutes=61)))
    with pytest.raises(InvalidLinkError):
        reset_password(uow(engine), late, token=link, password="another long passphrase 8")
    reset_password(uow(engine), service, token=link, password="another long passphrase 8")
    with pytest.raises(InvalidLinkError):
        reset_password(uow(engine), service, token=link, password="a third long passphrase 9")
    sign_in(
        uow(engine), service, email="lina.oubli@example.org", password="another long passphrase 8"
    )


# -- retention ---------------------------------------------------------------------------------


def test_staff_accounts_go_18_months_after_their_last_sign_in_learner_accounts_stay(
    engine: Engine,
) -> None:
    opened(engine, "lina.reste@example.org")
    with engine.begin() as connection:
        connection.execute(
            insert(account).values(
                email="ancien.dpo@example.org",
                role="dpo",
                created_at=datetime(2024, 1, 1, tzinfo=UTC),
                last_sign_in_at=datetime(2024, 12, 1, 9, 0, tzinfo=UTC),
            )
        )
    # Last sign-in 1 December 2024 + 18 months: kept through 1 June 2026, gone the next day.
    for day, expected in ((date(2026, 6, 1), 2), (date(2026, 6, 2), 1)):
        sweep(engine, policy=default_policy(), clock=FixedClock.on(day), lookup=LOOKUP)
        assert one(engine, select(func.count()).select_from(account)) == expected
    assert one(engine, select(account.c.role)) == "learner"


def test_ended_sessions_and_old_closed_requests_are_swept(engine: Engine) -> None:
    opened(engine, "lina.session@example.org")
    service = services(FixedClock(NOW))
    with engine.begin() as connection:
        old = record_request(
            connection,
            now=datetime(2021, 5, 1, tzinfo=UTC),
            email="lina.session@example.org",
            kind="access",
            identity_check="session",
            completed_with={"delivered": "json"},
            actor="test",
        )
        still_open = record_request(
            connection,
            now=datetime(2020, 1, 1, tzinfo=UTC),
            email="lina.session@example.org",
            kind="erasure",
            identity_check="email_link",
            actor="test",
        )
    assert old.closed and not still_open.closed
    # The session ended 30 minutes after NOW; on the next day the sweep removes it.
    sweep(engine, policy=default_policy(), clock=FixedClock.on(date(2026, 6, 2)), lookup=LOOKUP)
    assert one(engine, select(func.count()).select_from(web_session)) == 0
    # Closed 1 May 2021 + 60 months: kept through 1 May 2026, gone after; an open one stays.
    with engine.connect() as connection:
        left = connection.execute(select(subject_request.c.reference)).scalars().all()
    assert left == [still_open.reference]
    close_request(
        uow(engine),
        service,
        reference=still_open.reference,
        status="refused",
        outcome={"note": "unfounded"},
        actor="dpo:1",
    )


def test_an_objection_keeps_the_address_out_of_commercial_contacts(engine: Engine) -> None:
    learner_id = add_learner(
        engine, "lina.objecte@example.org", active=datetime(2024, 1, 1, tzinfo=UTC)
    )
    with engine.begin() as connection:
        contract_id = connection.execute(
            insert(contract)
            .values(
                reference="CT-OBJ",
                funding_type="employer_plan",
                signed_on=date(2024, 1, 1),
                starts_on=date(2024, 1, 1),
                ends_on=date(2025, 12, 31),
            )
            .returning(contract.c.id)
        ).scalar_one()
        connection.execute(
            insert(contract_learner).values(contract_id=contract_id, learner_id=learner_id)
        )
        record_request(
            connection,
            now=datetime(2024, 2, 1, tzinfo=UTC),
            email="lina.objecte@example.org",
            kind="objection",
            identity_check="session",
            completed_with={"stopped": True},
            actor="test",
        )
    # The account expires (18 months after 1 January 2024) while the contract's commercial
    # period still runs: without the objection her address would be kept.
    sweep(engine, policy=default_policy(), clock=FixedClock.on(date(2026, 6, 1)), lookup=LOOKUP)
    assert one(engine, select(func.count()).select_from(learner)) == 0
    assert one(engine, select(func.count()).select_from(commercial_contact)) == 0

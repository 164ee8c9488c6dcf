"""Accounts for the demonstration: one learner, one sponsor contact, one DPO, one admin.

They are active with a password printed by ``gardien demo-data`` (a demonstration has no
mailbox to receive invitations from); the DPO and the admin set up their second factor at
their first sign-in, as a real one would. Never run this against real data: ``demo-data``
loads a fictional organisation only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select

from gardien.domain.clock import Clock
from gardien.services.accounts.passwords import PasswordHasher
from gardien.store.tables import (
    account,
    contract,
    contract_learner,
    learner,
    sponsor,
    sponsor_contact,
)
from gardien.store.uow import UnitOfWork

DEMO_PASSWORD = "demonstration gardien 2026"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str


def create_demo_accounts(
    uow: UnitOfWork, *, hasher: PasswordHasher, clock: Clock
) -> list[DemoAccount]:
    """The four demonstration accounts (those already there are left as they are)."""
    now = clock.now()
    made: list[DemoAccount] = []
    secret = hasher.hash(DEMO_PASSWORD)
    with uow:
        connection = uow.connection
        targets: list[tuple[str, str, int | None, int | None]] = []
        learner_row = _learner_with_contract(connection)
        if learner_row is not None:
            targets.append(("learner", learner_row[1], learner_row[0], None))
        contact = _employer_contact(connection)
        if contact is not None:
            targets.append(("sponsor_contact", contact[1], None, contact[0]))
        targets += [("dpo", "dpo.demo@example.org", None, None)]
        targets += [("admin", "admin.demo@example.org", None, None)]
        for role, email, learner_id, contact_id in targets:
            exists = connection.execute(select(account.c.id).where(account.c.email == email))
            if exists.first() is None:
                connection.execute(
                    insert(account).values(
                        email=email,
                        role=role,
                        learner_id=learner_id,
                        sponsor_contact_id=contact_id,
                        password_hash=secret,
                        created_at=now,
                        activated_at=now,
                        password_changed_at=now,
                    )
                )
            made.append(DemoAccount(role, email, DEMO_PASSWORD))
        uow.commit()
    return made


def _learner_with_contract(connection: Connection) -> tuple[int, str] | None:
    """The most recently active learner of an employer's plan (a sponsor sees them too)."""
    row = connection.execute(
        select(learner.c.id, learner.c.email)
        .join(contract_learner, contract_learner.c.learner_id == learner.c.id)
        .join(contract, contract.c.id == contract_learner.c.contract_id)
        .where(contract.c.funding_type == "employer_plan")
        .order_by(learner.c.last_activity_at.desc(), learner.c.id)
        .limit(1)
    ).first()
    return (row.id, row.email) if row is not None else None


def _employer_contact(connection: Connection) -> tuple[int, str] | None:
    """A contact of the sponsor with the most employer-plan contracts."""
    busiest = (
        select(contract.c.sponsor_id)
        .where(contract.c.funding_type == "employer_plan", contract.c.sponsor_id.is_not(None))
        .group_by(contract.c.sponsor_id)
        .order_by(func.count().desc(), contract.c.sponsor_id)
        .limit(1)
        .scalar_subquery()
    )
    row = connection.execute(
        select(sponsor_contact.c.id, sponsor_contact.c.email)
        .join(sponsor, sponsor.c.id == sponsor_contact.c.sponsor_id)
        .where(sponsor.c.id == busiest)
        .order_by(sponsor_contact.c.id)
        .limit(1)
    ).first()
    return (row.id, row.email) if row is not None else None

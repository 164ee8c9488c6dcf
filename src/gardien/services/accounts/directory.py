"""Who has an account: the list the admin reads, and the contact an invitation goes to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from gardien.store.tables import account, sponsor, sponsor_contact
from gardien.store.uow import UnitOfWork


@dataclass(frozen=True)
class StaffAccount:
    """An account of staff or of a sponsor's contact, as the admin page lists it."""

    id: int
    email: str
    role: str
    activated_at: datetime | None
    last_sign_in_at: datetime | None


def accounts_overview(uow: UnitOfWork) -> tuple[list[StaffAccount], int]:
    """The accounts other than learners', by role and address, and how many learners have one."""
    with uow:
        rows = uow.connection.execute(
            select(
                account.c.id,
                account.c.email,
                account.c.role,
                account.c.activated_at,
                account.c.last_sign_in_at,
            )
            .where(account.c.role != "learner")
            .order_by(account.c.role, account.c.email)
        ).all()
        learners = uow.connection.execute(
            select(func.count()).select_from(account).where(account.c.role == "learner")
        ).scalar_one()
    return [StaffAccount(*row) for row in rows], int(learners)


def sponsor_contact_id(uow: UnitOfWork, *, sponsor_ref: str, email: str) -> int | None:
    """The contact row of ``sponsor_ref`` at ``email`` (the address an invitation goes to)."""
    with uow:
        found: int | None = uow.connection.execute(
            select(sponsor_contact.c.id)
            .join(sponsor, sponsor.c.id == sponsor_contact.c.sponsor_id)
            .where(sponsor.c.ref == sponsor_ref.strip(), sponsor_contact.c.email == email)
        ).scalar_one_or_none()
    return found

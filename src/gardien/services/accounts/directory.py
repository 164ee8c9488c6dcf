"""Who has an account: the list the admin reads and filters, and the sponsors an invitation to
a sponsor's contact can be for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from gardien.store.tables import account, sponsor, sponsor_contact
from gardien.store.uow import UnitOfWork

# How an account stands: it can sign in, it waits for its owner to follow the invitation, or an
# admin deactivated it.
STATES = ("active", "invited", "deactivated")
PAGE_SIZE = 100
SPONSOR_CHOICES = 20


@dataclass(frozen=True)
class AccountEntry:
    """One account as the admin page lists it."""

    id: int
    email: str
    role: str
    state: str
    created_at: datetime
    last_sign_in_at: datetime | None
    # For a sponsor's contact: the sponsor's name.
    sponsor_name: str | None


@dataclass(frozen=True)
class AccountList:
    """The accounts a filter finds (at most :data:`PAGE_SIZE`) and how many it finds in all."""

    entries: list[AccountEntry]
    total: int


@dataclass(frozen=True)
class SponsorChoice:
    """A sponsor an admin can invite a contact of."""

    id: int
    name: str
    ref: str


# An account as the list shows it, with its sponsor's name for a sponsor's contact.
_ENTRIES = (
    select(
        account.c.id,
        account.c.email,
        account.c.role,
        account.c.created_at,
        account.c.activated_at,
        account.c.deactivated_at,
        account.c.last_sign_in_at,
        sponsor.c.name.label("sponsor_name"),
    )
    .outerjoin(sponsor_contact, sponsor_contact.c.id == account.c.sponsor_contact_id)
    .outerjoin(sponsor, sponsor.c.id == sponsor_contact.c.sponsor_id)
)


def _state(row: Any) -> str:
    if row.deactivated_at is not None:
        return "deactivated"
    return "active" if row.activated_at is not None else "invited"


def list_accounts(
    uow: UnitOfWork,
    *,
    role: str | None = None,
    state: str | None = None,
    search: str = "",
    limit: int = PAGE_SIZE,
) -> AccountList:
    """Accounts by role then address, filtered by role, state and a part of the address."""
    conditions: list[Any] = []
    if role:
        conditions.append(account.c.role == role)
    if state == "deactivated":
        conditions.append(account.c.deactivated_at.is_not(None))
    elif state == "active":
        conditions += [account.c.deactivated_at.is_(None), account.c.activated_at.is_not(None)]
    elif state == "invited":
        conditions += [account.c.deactivated_at.is_(None), account.c.activated_at.is_(None)]
    term = search.strip().lower()
    if term:
        conditions.append(account.c.email.contains(term, autoescape=True))
    with uow:
        rows = uow.connection.execute(
            _ENTRIES.where(*conditions).order_by(account.c.role, account.c.email).limit(limit)
        ).all()
        total = uow.connection.execute(
            select(func.count()).select_from(account).where(*conditions)
        ).scalar_one()
    entries = [_entry(row) for row in rows]
    return AccountList(entries, int(total))


def account_entry(uow: UnitOfWork, account_id: int) -> AccountEntry | None:
    """One account as the list shows it (for the page that confirms a change)."""
    with uow:
        row = uow.connection.execute(_ENTRIES.where(account.c.id == account_id)).first()
    if row is None:
        return None
    return _entry(row)


def _entry(row: Any) -> AccountEntry:
    return AccountEntry(
        id=row.id,
        email=row.email,
        role=row.role,
        state=_state(row),
        created_at=row.created_at,
        last_sign_in_at=row.last_sign_in_at,
        sponsor_name=row.sponsor_name,
    )


def search_sponsors(
    uow: UnitOfWork, name: str, *, limit: int = SPONSOR_CHOICES
) -> tuple[list[SponsorChoice], int]:
    """Sponsors (not anonymised) whose name contains ``name``, by name; and how many match."""
    conditions: list[Any] = [sponsor.c.anonymised_at.is_(None)]
    term = " ".join(name.split()).lower()
    if term:
        conditions.append(func.lower(sponsor.c.name).contains(term, autoescape=True))
    with uow:
        rows = uow.connection.execute(
            select(sponsor.c.id, sponsor.c.name, sponsor.c.ref)
            .where(*conditions)
            .order_by(sponsor.c.name, sponsor.c.id)
            .limit(limit)
        ).all()
        total = uow.connection.execute(
            select(func.count()).select_from(sponsor).where(*conditions)
        ).scalar_one()
    return [SponsorChoice(*row) for row in rows], int(total)


def sponsor_choice(uow: UnitOfWork, sponsor_id: int) -> SponsorChoice | None:
    """The sponsor ``sponsor_id`` if an invitation can be for it (it exists, not anonymised)."""
    with uow:
        row = uow.connection.execute(
            select(sponsor.c.id, sponsor.c.name, sponsor.c.ref).where(
                sponsor.c.id == sponsor_id, sponsor.c.anonymised_at.is_(None)
            )
        ).first()
    return SponsorChoice(*row) if row is not None else None


def sponsor_contact_id(uow: UnitOfWork, *, sponsor_ref: str, email: str) -> int | None:
    """The contact row of ``sponsor_ref`` at ``email`` (the address an invitation goes to)."""
    with uow:
        found: int | None = uow.connection.execute(
            select(sponsor_contact.c.id)
            .join(sponsor, sponsor.c.id == sponsor_contact.c.sponsor_id)
            .where(sponsor.c.ref == sponsor_ref.strip(), sponsor_contact.c.email == email)
        ).scalar_one_or_none()
    return found

"""Invitations: an account is opened by its owner, from a signed link sent to their address.

Learners are invited at the address their contract gave (``gardien account invite-learners``);
sponsor contacts at the address their sponsor gave; DPO and admin accounts by an admin or
``gardien account invite``. Following the link and choosing a password activates the account
and signs its owner in. Nobody ever types somebody else's address into a sign-up form.

Each invitation draws a new random nonce (``account.invitation_nonce``) that its link is bound
to: sending an invitation again makes the previous link worthless. The e-mail's text depends
on the role: a learner reads what their data account gives them, a sponsor's contact which
sponsor they follow contracts for, staff that a second factor will be set up.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from gardien.errors import (
    AccountChangeRefusedError,
    InvalidInputError,
    InvalidLinkError,
    NotFoundError,
)
from gardien.services.accounts.context import AccountServices
from gardien.services.accounts.links import (
    INVITATION_VALIDITY,
    LinkPurpose,
    make_link,
    nonce_fingerprint,
    read_link,
)
from gardien.services.accounts.mails import queue_account_mail
from gardien.services.accounts.passwords import check_new_password
from gardien.services.accounts.signin import start_session
from gardien.services.signing import address_digest
from gardien.store.accounts import (
    AccountRow,
    account_by_email,
    account_by_id,
    create_account,
    update_account,
)
from gardien.store.audit import append_audit
from gardien.store.tables import (
    account,
    contract,
    contract_learner,
    learner,
    sponsor,
    sponsor_contact,
)
from gardien.store.uow import UnitOfWork

INVITATION = "account_invitation"
STAFF_ROLES = ("dpo", "admin")


@dataclass(frozen=True)
class Invitation:
    """An invitation queued: to which account (the link is in the e-mail only)."""

    account_id: int
    role: str


def invite(
    uow: UnitOfWork,
    services: AccountServices,
    *,
    role: str,
    email: str | None = None,
    learner_id: int | None = None,
    sponsor_contact_id: int | None = None,
    lang: str = "fr",
    actor: str = "cli",
) -> Invitation:
    """Create (or find) the account and queue its invitation; commits."""
    with uow:
        invitation = _invite(
            uow.connection,
            services,
            role=role,
            email=email,
            learner_id=learner_id,
            sponsor_contact_id=sponsor_contact_id,
            lang=lang,
        )
        append_audit(
            uow.connection,
            action="account.invited",
            actor=actor,
            details={"account": invitation.account_id, "role": role},
            recorded_at=services.now(),
        )
        uow.commit()
    return invitation


def _address_of(
    connection: Connection,
    role: str,
    email: str | None,
    learner_id: int | None,
    contact_id: int | None,
) -> str:
    if role == "learner":
        found = connection.execute(select(learner.c.email).where(learner.c.id == learner_id))
        address: str | None = found.scalar_one_or_none()
    elif role == "sponsor_contact":
        found = connection.execute(
            select(sponsor_contact.c.email).where(sponsor_contact.c.id == contact_id)
        )
        address = found.scalar_one_or_none()
    elif role in ("dpo", "admin"):
        address = (email or "").strip().lower() or None
    else:
        raise InvalidInputError(f"unknown role {role!r}", field="role")
    if address is None:
        raise NotFoundError(f"nobody to invite as {role}")
    return address


def _invite(
    connection: Connection,
    services: AccountServices,
    *,
    role: str,
    email: str | None,
    learner_id: int | None,
    sponsor_contact_id: int | None,
    lang: str,
) -> Invitation:
    address = _address_of(connection, role, email, learner_id, sponsor_contact_id)
    found = account_by_email(connection, address)
    if found is not None and (
        found.role != role
        or found.learner_id != (learner_id if role == "learner" else None)
        or found.sponsor_contact_id != (sponsor_contact_id if role == "sponsor_contact" else None)
    ):
        raise AccountChangeRefusedError(
            "taken", "this address already has another account", field="email"
        )
    if found is not None and found.deactivated:
        raise AccountChangeRefusedError("deactivated", "this account is deactivated", field="email")
    if found is not None and found.activated:
        raise AccountChangeRefusedError("active", "this account is already active", field="email")
    now = services.now()
    nonce = secrets.token_hex(16)
    if found is None:
        account_id = create_account(
            connection,
            email=address,
            role=role,
            learner_id=learner_id if role == "learner" else None,
            sponsor_contact_id=sponsor_contact_id if role == "sponsor_contact" else None,
            created_at=now,
            invitation_nonce=nonce,
        )
    else:
        account_id = found.id
        update_account(connection, account_id, invitation_nonce=nonce)
    token = make_link(
        services.secret,
        LinkPurpose.ACTIVATE,
        account_id=account_id,
        email=address,
        expires_at=now + INVITATION_VALIDITY,
        nonce=nonce,
    )
    queue_account_mail(
        connection,
        services,
        kind=INVITATION,
        template="invitation",
        recipient=address,
        learner_id=learner_id if role == "learner" else None,
        lang=lang,
        dedupe=f"{account_id}:{nonce}",
        context={
            "audience": "staff" if role in STAFF_ROLES else role,
            "sponsor_name": _sponsor_name(connection, sponsor_contact_id)
            if role == "sponsor_contact"
            else "",
            "link": services.url(lang, f"/account/activate/{token}"),
            "valid_days": INVITATION_VALIDITY.days,
        },
    )
    return Invitation(account_id, role)


def _sponsor_name(connection: Connection, contact_id: int | None) -> str:
    name: str | None = connection.execute(
        select(sponsor.c.name)
        .join(sponsor_contact, sponsor_contact.c.sponsor_id == sponsor.c.id)
        .where(sponsor_contact.c.id == contact_id)
    ).scalar_one_or_none()
    return name or ""


def invite_sponsor_contact(
    uow: UnitOfWork,
    services: AccountServices,
    *,
    sponsor_id: int,
    email: str,
    name: str = "",
    lang: str = "fr",
    actor: str,
) -> Invitation:
    """Invite a contact of the sponsor ``sponsor_id`` at ``email``; commits.

    The contact is the sponsor's row at that address when the import brought one; otherwise
    it is created here with ``name`` (required then), as the sponsor's contact the import
    would have written: the next import of that sponsor finds it by (sponsor, address).
    """
    address = email.strip().lower()
    clean_name = " ".join(name.split())
    with uow:
        connection = uow.connection
        found_sponsor = connection.execute(
            select(sponsor.c.id).where(
                sponsor.c.id == sponsor_id, sponsor.c.anonymised_at.is_(None)
            )
        ).scalar_one_or_none()
        if found_sponsor is None:
            raise AccountChangeRefusedError("no_sponsor", "no such sponsor", field="sponsor")
        contact_id: int | None = connection.execute(
            select(sponsor_contact.c.id).where(
                sponsor_contact.c.sponsor_id == sponsor_id, sponsor_contact.c.email == address
            )
        ).scalar_one_or_none()
        created = contact_id is None
        if contact_id is None:
            existing = account_by_email(connection, address)
            if existing is not None:
                # Checked before the contact row is written: nothing is left behind.
                raise AccountChangeRefusedError(
                    "taken", "this address already has another account", field="email"
                )
            if not clean_name:
                raise AccountChangeRefusedError(
                    "name_needed", "a new contact needs a name", field="name"
                )
            contact_id = int(
                connection.execute(
                    insert(sponsor_contact)
                    .values(sponsor_id=sponsor_id, name=clean_name[:200], email=address)
                    .returning(sponsor_contact.c.id)
                ).scalar_one()
            )
        invitation = _invite(
            connection,
            services,
            role="sponsor_contact",
            email=None,
            learner_id=None,
            sponsor_contact_id=contact_id,
            lang=lang,
        )
        append_audit(
            connection,
            action="account.invited",
            actor=actor,
            details={
                "account": invitation.account_id,
                "role": "sponsor_contact",
                "sponsor": sponsor_id,
                "contact_created": created,
            },
            recorded_at=services.now(),
        )
        uow.commit()
    return invitation


def resend_invitation(
    uow: UnitOfWork, services: AccountServices, *, account_id: int, lang: str, actor: str
) -> Invitation:
    """Send a waiting account's invitation again, with a new link; the previous link stops
    working. Commits."""
    with uow:
        found = account_by_id(uow.connection, account_id, lock=True)
        if found is None:
            raise NotFoundError("no such account")
        if found.deactivated:
            raise AccountChangeRefusedError("deactivated", "this account is deactivated")
        if found.activated:
            raise AccountChangeRefusedError("not_invited", "this account is already active")
        invitation = _invite(
            uow.connection,
            services,
            role=found.role,
            email=found.email,
            learner_id=found.learner_id,
            sponsor_contact_id=found.sponsor_contact_id,
            lang=lang,
        )
        append_audit(
            uow.connection,
            action="account.invitation_resent",
            actor=actor,
            details={"account": found.id, "role": found.role},
            recorded_at=services.now(),
        )
        uow.commit()
    return invitation


def invite_learners(
    uow: UnitOfWork,
    services: AccountServices,
    *,
    contract_reference: str | None,
    lang: str = "fr",
    actor: str = "cli",
) -> int:
    """Invite every learner (of one contract, or all) who has no account yet; commits."""
    with uow:
        connection = uow.connection
        query = select(learner.c.id).where(
            ~select(account.c.id).where(account.c.learner_id == learner.c.id).exists()
        )
        if contract_reference is not None:
            found = connection.execute(
                select(contract.c.id).where(contract.c.reference == contract_reference)
            ).scalar_one_or_none()
            if found is None:
                raise NotFoundError(f"no contract {contract_reference!r}")
            query = query.where(
                learner.c.id.in_(
                    select(contract_learner.c.learner_id).where(
                        contract_learner.c.contract_id == found
                    )
                )
            )
        ids = list(connection.execute(query.order_by(learner.c.id)).scalars())
        for learner_id in ids:
            _invite(
                connection,
                services,
                role="learner",
                email=None,
                learner_id=learner_id,
                sponsor_contact_id=None,
                lang=lang,
            )
        if ids:
            append_audit(
                connection,
                action="account.invited",
                actor=actor,
                details={"learners": len(ids), "contract": contract_reference},
                recorded_at=services.now(),
            )
        uow.commit()
    return len(ids)


def invited_account(uow: UnitOfWork, services: AccountServices, token: str) -> AccountRow:
    """The account an invitation names, while it waits for its password."""
    claims = read_link(services.secret, LinkPurpose.ACTIVATE, token, now=services.now())
    with uow:
        found = account_by_id(uow.connection, claims.account_id)
    if found is None or address_digest(found.email) != claims.address_digest:
        raise InvalidLinkError("no such invitation")
    # Another invitation was sent since (or the account was deactivated): this link is dead.
    if nonce_fingerprint(found.invitation_nonce) != claims.fingerprint or found.deactivated:
        raise InvalidLinkError("this invitation was replaced or withdrawn")
    if found.activated:
        raise InvalidLinkError("already activated")
    return found


def activate(uow: UnitOfWork, services: AccountServices, *, token: str, password: str) -> str:
    """Set the first password and open a session; returns its token. Commits."""
    found = invited_account(UnitOfWork(uow.engine), services, token)
    # Checked and hashed before the write transaction (the breach check may use the network).
    check_new_password(password, email=found.email, breached=services.breached)
    hashed = services.hasher.hash(password)
    now = services.now()
    with uow:
        locked = account_by_id(uow.connection, found.id, lock=True)
        if locked is None or locked.activated:
            raise InvalidLinkError("already activated")
        if locked.deactivated or locked.invitation_nonce != found.invitation_nonce:
            raise InvalidLinkError("this invitation was replaced or withdrawn")
        update_account(
            uow.connection,
            found.id,
            password_hash=hashed,
            activated_at=now,
            password_changed_at=now,
        )
        session = start_session(uow, services, found)
        uow.commit()
    return session

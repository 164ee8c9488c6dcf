"""Sign-in, the second factor of DPO and admin accounts, sign-out. (Setting the second
factor up, and its recovery codes, are in :mod:`gardien.services.accounts.second_factor`.)

Unknown and known addresses take the same path: one Argon2id verification (against a dummy
hash when there is no account or no password yet) and the same :class:`AuthenticationError`,
so neither the answer nor its timing tells whether an address has an account.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update

from gardien.domain.totp import verify_totp
from gardien.errors import AuthenticationError
from gardien.services.accounts.context import AccountServices
from gardien.services.accounts.sealing import unseal
from gardien.services.accounts.sessions import CurrentSession, end_session, open_session
from gardien.store.accounts import AccountRow, account_by_email, account_by_id, update_account
from gardien.store.tables import learner
from gardien.store.uow import UnitOfWork

SECOND_FACTOR_ROLES = frozenset({"dpo", "admin"})
TOTP_SEAL = "totp-secret"
_WRONG = "wrong e-mail address or password"


@dataclass(frozen=True)
class SignedIn:
    """A session was opened; ``needs_second_factor`` until the TOTP code is given."""

    token: str
    role: str
    needs_second_factor: bool
    needs_enrolment: bool


def sign_in(uow: UnitOfWork, services: AccountServices, *, email: str, password: str) -> SignedIn:
    """Check the password and open a session; :class:`AuthenticationError` otherwise.

    The account is read, and the Argon2id work done, outside the write transaction: on SQLite
    the write lock is held only for the session's insert, not for tens of milliseconds of
    hashing.
    """
    address = email.strip().lower()
    with UnitOfWork(uow.engine) as reader:
        found = account_by_email(reader.connection, address)
    if found is None or found.password_hash is None:
        services.hasher.verify_dummy(password)
        raise AuthenticationError(_WRONG)
    if not services.hasher.verify(found.password_hash, password):
        raise AuthenticationError(_WRONG)
    # A deactivated account gets the same answer, after the same work, as a wrong password.
    if found.deactivated:
        raise AuthenticationError(_WRONG)
    rehashed = (
        services.hasher.hash(password)
        if services.hasher.needs_rehash(found.password_hash)
        else None
    )
    with uow:
        if rehashed is not None:
            update_account(uow.connection, found.id, password_hash=rehashed)
        token = start_session(uow, services, found)
        uow.commit()
    second = found.role in SECOND_FACTOR_ROLES
    return SignedIn(token, found.role, second, second and found.totp_secret is None)


def start_session(uow: UnitOfWork, services: AccountServices, found: AccountRow) -> str:
    """Open a session once the password is checked, in the caller's transaction.

    DPO and admin sessions stay half open until the second factor; the others are signed in
    at once (the sign-in is recorded). Returns the cookie's token.
    """
    if found.deactivated:
        raise AuthenticationError("this account is deactivated")
    second = found.role in SECOND_FACTOR_ROLES
    token = open_session(
        uow.connection,
        found,
        now=services.now(),
        timeouts=services.timeouts,
        second_factor_done=not second,
    )
    if not second:
        _signed_in(uow, found, services)
    return token


def _signed_in(uow: UnitOfWork, found: AccountRow, services: AccountServices) -> None:
    """Record the sign-in: the account's clock, and the learner's last activity (a sign-in is
    an action of the person, DESIGN.md)."""
    now = services.now()
    update_account(uow.connection, found.id, last_sign_in_at=now)
    if found.learner_id is not None:
        uow.connection.execute(
            update(learner)
            .where(learner.c.id == found.learner_id, learner.c.last_activity_at < now)
            .values(last_activity_at=now)
        )


def second_factor(
    uow: UnitOfWork, services: AccountServices, session: CurrentSession, *, code: str
) -> str:
    """Check the TOTP code of a half-open session; returns a new session's token."""
    now = services.now()
    with uow:
        found = account_by_id(uow.connection, session.account.id, lock=True)
        if found is None or found.totp_secret is None:
            raise AuthenticationError("no second factor is set up for this account")
        secret = unseal(services.secret, TOTP_SEAL, found.totp_secret)
        step = verify_totp(secret, code, now, last_step=found.totp_last_step)
        if step is None:
            raise AuthenticationError("wrong or already used code")
        update_account(uow.connection, found.id, totp_last_step=step)
        token = upgrade_session(uow, services, session, found)
        uow.commit()
    return token


def upgrade_session(
    uow: UnitOfWork, services: AccountServices, session: CurrentSession, found: AccountRow
) -> str:
    """Replace the half-open ``session`` by a full one, in the caller's transaction; returns
    the new cookie's token. A new session id once both factors are given: no fixation of the
    half-open one."""
    end_session(uow.connection, session.session_id)
    token = open_session(
        uow.connection,
        found,
        now=services.now(),
        timeouts=services.timeouts,
        second_factor_done=True,
    )
    _signed_in(uow, found, services)
    return token


def sign_out(uow: UnitOfWork, session: CurrentSession) -> None:
    with uow:
        end_session(uow.connection, session.session_id)
        uow.commit()

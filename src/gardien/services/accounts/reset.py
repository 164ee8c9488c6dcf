"""Password reset by e-mail link, with the same answer for every address.

:func:`request_reset` queues a link only for an active account, but answers the same way for
any address; the web layer runs it after the response is sent, so the answer's timing does not
depend on it either. The link works once (it carries a fingerprint of the password hash it
replaces) and for :data:`~gardien.services.accounts.links.RESET_VALIDITY`. A new password ends
every session of the account.
"""

from __future__ import annotations

from gardien.errors import InvalidInputError, InvalidLinkError
from gardien.services.accounts.context import AccountServices
from gardien.services.accounts.links import (
    RESET_VALIDITY,
    LinkPurpose,
    make_link,
    password_fingerprint,
    read_link,
)
from gardien.services.accounts.mails import queue_account_mail
from gardien.services.accounts.passwords import check_new_password
from gardien.services.accounts.sessions import end_all_sessions
from gardien.services.signing import address_digest
from gardien.store.accounts import account_by_email, account_by_id, update_account
from gardien.store.uow import UnitOfWork

RESET = "password_reset"


def request_reset(uow: UnitOfWork, services: AccountServices, *, email: str, lang: str) -> bool:
    """Queue a reset link when ``email`` has an active account; True when one was queued.

    The caller must not tell the person which it was.
    """
    address = email.strip().lower()
    now = services.now()
    with uow:
        found = account_by_email(uow.connection, address)
        if found is None or not found.activated or found.deactivated:
            return False
        token = make_link(
            services.secret,
            LinkPurpose.RESET,
            account_id=found.id,
            email=address,
            expires_at=now + RESET_VALIDITY,
            password_hash=found.password_hash,
        )
        queue_account_mail(
            uow.connection,
            services,
            kind=RESET,
            template="reset",
            recipient=address,
            learner_id=found.learner_id,
            lang=lang,
            dedupe=f"{found.id}:{now.isoformat()}",
            context={
                "link": services.url(lang, f"/account/reset/{token}"),
                "valid_minutes": int(RESET_VALIDITY.total_seconds() // 60),
            },
        )
        uow.commit()
    return True


def check_reset_link(uow: UnitOfWork, services: AccountServices, token: str) -> int:
    """The account a genuine, unused, unexpired reset link names."""
    claims = read_link(services.secret, LinkPurpose.RESET, token, now=services.now())
    with uow:
        found = account_by_id(uow.connection, claims.account_id)
    if (
        found is None
        or found.deactivated
        or address_digest(found.email) != claims.address_digest
        or password_fingerprint(found.password_hash) != claims.fingerprint
    ):
        raise InvalidLinkError("this reset link was used or is not ours")
    return found.id


def reset_password(
    uow: UnitOfWork, services: AccountServices, *, token: str, password: str
) -> None:
    """Set a new password from a reset link; every session of the account ends. Commits."""
    account_id = check_reset_link(UnitOfWork(uow.engine), services, token)
    now = services.now()
    with UnitOfWork(uow.engine) as reader:
        before = account_by_id(reader.connection, account_id)
    if before is None:
        raise InvalidLinkError("this reset link was used or is not ours")
    # The checks and the hashing happen before the write transaction: the breach check may
    # use the network, Argon2id takes tens of milliseconds, and neither may hold the lock.
    check_new_password(password, email=before.email, breached=services.breached)
    if before.password_hash and services.hasher.verify(before.password_hash, password):
        raise InvalidInputError("choose a password you have not used here", field="password")
    hashed = services.hasher.hash(password)
    claims = read_link(services.secret, LinkPurpose.RESET, token, now=now)
    with uow:
        found = account_by_id(uow.connection, account_id, lock=True)
        # Used by another request meanwhile: the password changed, so the fingerprint did.
        if found is None or password_fingerprint(found.password_hash) != claims.fingerprint:
            raise InvalidLinkError("this reset link was used")
        update_account(
            uow.connection,
            found.id,
            password_hash=hashed,
            password_changed_at=now,
        )
        end_all_sessions(uow.connection, found.id)
        uow.commit()

"""Setting up the second factor of DPO and admin accounts, its recovery codes, and its reset.

Set-up: the page shows one secret, kept sealed in ``account.totp_pending`` until a first code
proves the authenticator app has it; a reload or a wrong code shows the same secret again, so
the key scanned first is the one that works. Once confirmed, the secret moves to
``account.totp_secret`` and ten one-time recovery codes are made, shown once, and kept as
keyed digests (HMAC-SHA-256 with a key derived from ``GARDIEN_SECRET_KEY``): a code can stand
in for a TOTP code at sign-in, once. An administrator can reset the second factor of a staff
account (lost phone): its secret and codes go, its sessions end, and its owner sets up a new
one at the next sign-in.

Neither secrets nor codes are ever logged or audited; the audit log records that something
happened to which account.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from gardien.domain.recovery_codes import COUNT, normalise_recovery_code, recovery_code
from gardien.domain.totp import generate_secret_b32, provisioning_uri, verify_totp
from gardien.errors import AuthenticationError, InvalidInputError, NotFoundError
from gardien.services.accounts.context import AccountServices
from gardien.services.accounts.mails import queue_account_mail
from gardien.services.accounts.sealing import seal, unseal
from gardien.services.accounts.sessions import CurrentSession, end_all_sessions
from gardien.services.accounts.signin import SECOND_FACTOR_ROLES, TOTP_SEAL, upgrade_session
from gardien.store.accounts import account_by_id, recovery_digests, update_account
from gardien.store.audit import append_audit
from gardien.store.uow import UnitOfWork

TOTP_PENDING_SEAL = "totp-pending"
SECOND_FACTOR_RESET = "second_factor_reset"
_RECOVERY_PURPOSE = b"gardien/recovery-code"


@dataclass(frozen=True)
class Enrolment:
    """The secret to add to an authenticator app, and its ``otpauth://`` URI."""

    secret: str
    uri: str


@dataclass(frozen=True)
class Confirmed:
    """The second factor is set: the new session's token and the recovery codes (shown once)."""

    token: str
    recovery_codes: list[str]


def enrolment(uow: UnitOfWork, services: AccountServices, session: CurrentSession) -> Enrolment:
    """The secret this account is setting up: the pending one, or a new one kept sealed.

    Only the first call writes; later ones (a reload, a wrong code) read the same secret.
    A pending secret sealed with a key that has changed since is replaced by a new one.
    """
    found = session.account
    if found.totp_secret is not None:
        raise AuthenticationError("a second factor is already set up")
    secret = _opened(services, found.totp_pending)
    if secret is None:
        with uow:
            locked = account_by_id(uow.connection, found.id, lock=True)
            if locked is None or locked.totp_secret is not None:
                raise AuthenticationError("a second factor is already set up")
            # Another tab of the same person may have written one meanwhile: show that one.
            secret = _opened(services, locked.totp_pending)
            if secret is None:
                secret = generate_secret_b32(os.urandom(20))
                sealed = seal(services.secret, TOTP_PENDING_SEAL, secret)
                update_account(uow.connection, found.id, totp_pending=sealed)
                uow.commit()
    # The otpauth format forbids a colon in the issuer (it separates issuer and account).
    issuer = services.policy.controller.name.replace(":", " ")
    return Enrolment(secret, provisioning_uri(secret, account=found.email, issuer=issuer))


def _opened(services: AccountServices, sealed: str | None) -> str | None:
    if sealed is None:
        return None
    try:
        return unseal(services.secret, TOTP_PENDING_SEAL, sealed)
    except AuthenticationError:
        return None


def confirm_enrolment(
    uow: UnitOfWork, services: AccountServices, session: CurrentSession, *, code: str
) -> Confirmed:
    """Keep the pending secret once ``code`` proves the app has it: a new full session and
    fresh recovery codes. :class:`AuthenticationError` for a wrong code (the secret stays
    pending). Commits."""
    now = services.now()
    with uow:
        found = account_by_id(uow.connection, session.account.id, lock=True)
        if found is None or found.totp_secret is not None:
            raise AuthenticationError("a second factor is already set up")
        secret = _opened(services, found.totp_pending)
        if secret is None:
            raise AuthenticationError("no second factor is being set up")
        step = verify_totp(secret, code, now, last_step=None)
        if step is None:
            raise AuthenticationError("wrong code")
        codes = _new_codes()
        update_account(
            uow.connection,
            found.id,
            totp_secret=seal(services.secret, TOTP_SEAL, secret),
            totp_pending=None,
            totp_last_step=step,
            recovery_codes=[_digest(services, code) for code in codes],
        )
        append_audit(
            uow.connection,
            action="account.second_factor_set",
            actor=f"account:{found.id}",
            details={"account": found.id, "recovery_codes": len(codes)},
            recorded_at=now,
        )
        token = upgrade_session(uow, services, session, found)
        uow.commit()
    return Confirmed(token, codes)


def sign_in_with_recovery_code(
    uow: UnitOfWork, services: AccountServices, session: CurrentSession, *, code: str
) -> str:
    """Give a recovery code instead of a TOTP code: it is used up, the use audit-logged
    (without the code); returns a new full session's token. Commits."""
    typed = normalise_recovery_code(code)
    now = services.now()
    with uow:
        found = account_by_id(uow.connection, session.account.id, lock=True)
        if found is None or found.totp_secret is None:
            raise AuthenticationError("no second factor is set up for this account")
        digests = recovery_digests(uow.connection, found.id)
        expected = _digest(services, typed) if typed is not None else ""
        # Every digest is compared: the time taken does not say which code matched.
        matched = [d for d in digests if hmac.compare_digest(d, expected)]
        if typed is None or not matched:
            raise AuthenticationError("wrong or already used recovery code")
        left = [d for d in digests if d not in matched]
        update_account(uow.connection, found.id, recovery_codes=left or None)
        append_audit(
            uow.connection,
            action="account.recovery_code_used",
            actor=f"account:{found.id}",
            details={"account": found.id, "recovery_codes_left": len(left)},
            recorded_at=now,
        )
        token = upgrade_session(uow, services, session, found)
        uow.commit()
    return token


def recovery_codes_left(uow: UnitOfWork, account_id: int) -> int:
    """How many unused recovery codes the account has."""
    with uow:
        return len(recovery_digests(uow.connection, account_id))


def renew_recovery_codes(
    uow: UnitOfWork, services: AccountServices, *, account_id: int, actor: str
) -> list[str]:
    """Ten new recovery codes for an account with a second factor; the old ones stop working.
    Returns the codes, to show once. Commits."""
    codes = _new_codes()
    with uow:
        found = account_by_id(uow.connection, account_id, lock=True)
        if found is None or found.totp_secret is None:
            raise InvalidInputError("this account has no second factor set up")
        update_account(
            uow.connection,
            found.id,
            recovery_codes=[_digest(services, code) for code in codes],
        )
        append_audit(
            uow.connection,
            action="account.recovery_codes_renewed",
            actor=actor,
            details={"account": found.id, "recovery_codes": len(codes)},
            recorded_at=services.now(),
        )
        uow.commit()
    return codes


def reset_second_factor(
    uow: UnitOfWork, services: AccountServices, *, account_id: int, actor: str, lang: str = "fr"
) -> int:
    """Clear the second factor of a DPO or admin account (lost phone): its secret, the one
    being set up and its recovery codes go, every session of the account ends, and its owner
    is told by e-mail that they will set up a new one at their next sign-in. Audit-logged.
    Returns how many sessions ended. Commits."""
    now = services.now()
    with uow:
        found = account_by_id(uow.connection, account_id, lock=True)
        if found is None or found.role not in SECOND_FACTOR_ROLES:
            raise NotFoundError("no staff account with this id")
        update_account(
            uow.connection,
            found.id,
            totp_secret=None,
            totp_pending=None,
            totp_last_step=None,
            recovery_codes=None,
        )
        ended = end_all_sessions(uow.connection, found.id)
        queue_account_mail(
            uow.connection,
            services,
            kind=SECOND_FACTOR_RESET,
            template="second_factor_reset",
            recipient=found.email,
            lang=lang,
            dedupe=f"{found.id}:{now.isoformat()}",
            context={"sign_in": services.url(lang, "/account/sign-in")},
        )
        append_audit(
            uow.connection,
            action="account.second_factor_reset",
            actor=actor,
            details={"account": found.id, "sessions_ended": ended},
            recorded_at=now,
        )
        uow.commit()
    return ended


def _new_codes() -> list[str]:
    codes: set[str] = set()
    while len(codes) < COUNT:
        codes.add(recovery_code(os.urandom(8)))
    return sorted(codes)


def _digest(services: AccountServices, code: str) -> str:
    """The keyed digest a recovery code is kept as (normalised first, so hyphens and case
    do not matter)."""
    normalised = normalise_recovery_code(code)
    if normalised is None:
        raise ValueError("not a recovery code")
    key = hmac.new(services.secret.encode(), _RECOVERY_PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()

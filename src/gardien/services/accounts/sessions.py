"""Sessions: opened at sign-in, read on every request, ended at sign-out or by timeouts.

The cookie holds 32 random bytes; the database keeps their SHA-256 only. A session ends when
it has been idle longer than ``idle`` or is older than ``absolute`` (OWASP ASVS 3.3), when its
owner signs out (the row is deleted, so the cookie is dead on every worker), and when the
password changes, the account is erased or an admin deactivates it. Expired rows are deleted
by the next sign-in of their owner and by the sweep (policy rule on ``web_session``, clock
``expired``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from gardien.store.accounts import (
    AccountRow,
    delete_session,
    delete_sessions_of,
    insert_session,
    session_by_token_digest,
    touch_session,
)

# Writing last_seen on every request would make every page a write: once a minute is enough
# for an idle timeout counted in minutes.
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionTimeouts:
    """How long a session lives without a request (``idle``) and at most (``absolute``)."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class CurrentSession:
    """Who is signed in, through which session."""

    session_id: int
    account: AccountRow
    second_factor_done: bool
    created_at: datetime


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    connection: Connection,
    account: AccountRow,
    *,
    now: datetime,
    timeouts: SessionTimeouts,
    second_factor_done: bool,
) -> str:
    """A new session for ``account``; returns the cookie's token (shown once, never stored)."""
    delete_sessions_of(connection, account.id, now=now)
    token = secrets.token_urlsafe(32)
    insert_session(
        connection,
        token_sha256=token_digest(token),
        account_id=account.id,
        created_at=now,
        last_seen_at=now,
        expires_at=min(now + timeouts.absolute, now + timeouts.idle),
        second_factor_done=second_factor_done,
    )
    return token


def read_session(
    connection: Connection, token: str, *, now: datetime, timeouts: SessionTimeouts
) -> CurrentSession | None:
    """The live session behind ``token``, touched; None when unknown, idle or too old."""
    if not token or len(token) > 100:
        return None
    row = session_by_token_digest(connection, token_digest(token))
    if row is None:
        return None
    absolute_end = row.created_at + timeouts.absolute
    # Deactivation deletes the sessions; a session met on a deactivated account ends too.
    if now >= row.expires_at or now >= absolute_end or row.account.deactivated:
        delete_session(connection, row.id)
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        touch_session(
            connection,
            row.id,
            last_seen_at=now,
            expires_at=min(absolute_end, now + timeouts.idle),
        )
    return CurrentSession(row.id, row.account, row.second_factor_done, row.created_at)


def peek_session(
    connection: Connection, token: str, *, now: datetime, timeouts: SessionTimeouts
) -> CurrentSession | None:
    """The live session behind ``token``, read only: neither touched nor, when it has ended,
    deleted. For when the database's write lock is not to be had (another writer holds it)."""
    if not token or len(token) > 100:
        return None
    row = session_by_token_digest(connection, token_digest(token))
    if row is None or now >= row.expires_at or now >= row.created_at + timeouts.absolute:
        return None
    if row.account.deactivated:
        return None
    return CurrentSession(row.id, row.account, row.second_factor_done, row.created_at)


def session_needs_write(
    connection: Connection, token: str, *, now: datetime, timeouts: SessionTimeouts
) -> bool:
    """Whether reading the session would change its row (expired: delete; idle a minute or
    more: touch). Lets the web layer read most pages without a write transaction."""
    if not token or len(token) > 100:
        return False
    row = session_by_token_digest(connection, token_digest(token))
    if row is None:
        return False
    expired = now >= row.expires_at or now >= row.created_at + timeouts.absolute
    expired = expired or row.account.deactivated
    return expired or now - row.last_seen_at >= _TOUCH_EVERY


def end_session(connection: Connection, session_id: int) -> None:
    """Sign out: the row goes, so the cookie is worthless everywhere at once."""
    delete_session(connection, session_id)


def end_all_sessions(connection: Connection, account_id: int) -> int:
    """End every session of an account (password changed, account erased or deactivated)."""
    return delete_sessions_of(connection, account_id)


def complete_second_factor(connection: Connection, session_id: int) -> None:
    touch_session(connection, session_id, second_factor_done=True)

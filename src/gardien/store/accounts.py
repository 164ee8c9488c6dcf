"""The account, session and request queries (SQL only; the rules live in the services)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from gardien.store.retention import rowcount
from gardien.store.tables import account, learner, sponsor_contact, subject_request, web_session


@dataclass(frozen=True)
class AccountRow:
    """An account as the services see it (the password hash stays in the store's hands)."""

    id: int
    email: str
    role: str
    learner_id: int | None
    sponsor_contact_id: int | None
    password_hash: str | None
    totp_secret: str | None
    totp_last_step: int | None
    activated: bool
    # The sealed secret of a second factor being set up (None once confirmed).
    totp_pending: str | None = None
    deactivated: bool = False
    # Drawn for the latest invitation (its link's fingerprint); None before the first.
    invitation_nonce: str | None = None


@dataclass(frozen=True)
class SessionRow:
    """A live session with its account."""

    id: int
    account: AccountRow
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    second_factor_done: bool


def _account(row: Any) -> AccountRow:
    return AccountRow(
        id=row.id,
        email=row.email,
        role=row.role,
        learner_id=row.learner_id,
        sponsor_contact_id=row.sponsor_contact_id,
        password_hash=row.password_hash,
        totp_secret=row.totp_secret,
        totp_last_step=row.totp_last_step,
        activated=row.activated_at is not None,
        totp_pending=row.totp_pending,
        deactivated=row.deactivated_at is not None,
        invitation_nonce=row.invitation_nonce,
    )


_ACCOUNT_COLUMNS = (
    account.c.id,
    account.c.email,
    account.c.role,
    account.c.learner_id,
    account.c.sponsor_contact_id,
    account.c.password_hash,
    account.c.totp_secret,
    account.c.totp_last_step,
    account.c.activated_at,
    account.c.totp_pending,
    account.c.deactivated_at,
    account.c.invitation_nonce,
)


def account_by_email(connection: Connection, email: str) -> AccountRow | None:
    row = connection.execute(select(*_ACCOUNT_COLUMNS).where(account.c.email == email)).first()
    return _account(row) if row is not None else None


def account_by_id(
    connection: Connection, account_id: int, *, lock: bool = False
) -> AccountRow | None:
    query = select(*_ACCOUNT_COLUMNS).where(account.c.id == account_id)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).first()
    return _account(row) if row is not None else None


def create_account(connection: Connection, **values: Any) -> int:
    return int(
        connection.execute(insert(account).values(**values).returning(account.c.id)).scalar_one()
    )


def update_account(connection: Connection, account_id: int, **values: Any) -> None:
    connection.execute(update(account).where(account.c.id == account_id).values(**values))


def recovery_digests(connection: Connection, account_id: int) -> list[str]:
    """The digests of the account's unused recovery codes (empty when it has none)."""
    stored = connection.execute(
        select(account.c.recovery_codes).where(account.c.id == account_id)
    ).scalar_one_or_none()
    return [str(digest) for digest in stored or []]


def learner_for_invitation(connection: Connection, learner_id: int) -> tuple[str, str] | None:
    """(email, given name) of a learner, for an invitation."""
    row = connection.execute(
        select(learner.c.email, learner.c.given_name).where(learner.c.id == learner_id)
    ).first()
    return (row.email, row.given_name) if row is not None else None


def contact_for_invitation(connection: Connection, contact_id: int) -> str | None:
    return connection.execute(
        select(sponsor_contact.c.email).where(sponsor_contact.c.id == contact_id)
    ).scalar_one_or_none()


# -- sessions ---------------------------------------------------------------------------------


def insert_session(connection: Connection, **values: Any) -> int:
    return int(
        connection.execute(
            insert(web_session).values(**values).returning(web_session.c.id)
        ).scalar_one()
    )


def session_by_token_digest(connection: Connection, digest: str) -> SessionRow | None:
    s = web_session.c
    row = connection.execute(
        select(
            s.id,
            s.created_at,
            s.last_seen_at,
            s.expires_at,
            s.second_factor_done,
            *[column.label(f"a_{column.name}") for column in _ACCOUNT_COLUMNS],
        )
        .join(account, account.c.id == s.account_id)
        .where(s.token_sha256 == digest)
    ).first()
    if row is None:
        return None
    values = row._asdict()
    found = _account(_Prefixed(values))
    return SessionRow(
        id=row.id,
        account=found,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
        second_factor_done=bool(row.second_factor_done),
    )


class _Prefixed:
    """Attribute access to the ``a_``-prefixed account columns of a joined row."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        return self._values[f"a_{name}"]


def touch_session(connection: Connection, session_id: int, **values: Any) -> None:
    connection.execute(update(web_session).where(web_session.c.id == session_id).values(**values))


def delete_session(connection: Connection, session_id: int) -> int:
    return rowcount(connection.execute(delete(web_session).where(web_session.c.id == session_id)))


def delete_sessions_of(
    connection: Connection, account_id: int, *, now: datetime | None = None
) -> int:
    """End the account's sessions: all of them, or only the expired ones when ``now`` is given."""
    condition = web_session.c.account_id == account_id
    if now is not None:
        condition = condition & (web_session.c.expires_at <= now)
    return rowcount(connection.execute(delete(web_session).where(condition)))


# -- requests filed by an e-mail link ----------------------------------------------------------


def insert_request_once(connection: Connection, values: dict[str, Any]) -> int | None:
    """Insert a request row; None, writing nothing, when its link has filed one already.

    One statement decides, against the unique ``verification_sha256``, so two submissions of a
    link at once cannot both insert and neither fails. On PostgreSQL, an insert that meets a
    row another transaction has not committed yet waits for it: it does nothing if that one
    commits (:func:`request_id_by_verification` then sees the row) and inserts if it rolls back.
    SQLite admits one writer at a time, so the row is either there or not.
    """
    statement: Any
    if connection.dialect.name == "postgresql":
        statement = postgresql.insert(subject_request).on_conflict_do_nothing(
            index_elements=[subject_request.c.verification_sha256]
        )
    elif connection.dialect.name == "sqlite":
        statement = sqlite.insert(subject_request).on_conflict_do_nothing(
            index_elements=[subject_request.c.verification_sha256]
        )
    else:  # pragma: no cover
        raise NotImplementedError(f"no insert-or-skip for {connection.dialect.name}")
    inserted = connection.execute(
        statement.values(**values).returning(subject_request.c.id)
    ).scalar_one_or_none()
    return None if inserted is None else int(inserted)


def request_id_by_verification(connection: Connection, digest: str) -> int:
    """The id of the request a link (by its digest) has filed: call it once one has."""
    return int(
        connection.execute(
            select(subject_request.c.id).where(subject_request.c.verification_sha256 == digest)
        ).scalar_one()
    )

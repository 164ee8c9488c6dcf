"""Accounts for tests: a learner's account with a given password hash, straight in the table."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select

from gardien.store.tables import account, learner

CREATED = datetime(2024, 1, 1, tzinfo=UTC)


def give_account(connection: Connection, email: str, password_hash: str | None) -> int:
    """Open an (activated when a hash is given) account for the learner at ``email``."""
    learner_id = connection.execute(
        select(learner.c.id).where(learner.c.email == email)
    ).scalar_one()
    return int(
        connection.execute(
            insert(account)
            .values(
                email=email,
                role="learner",
                learner_id=learner_id,
                password_hash=password_hash,
                created_at=CREATED,
                activated_at=CREATED if password_hash else None,
            )
            .returning(account.c.id)
        ).scalar_one()
    )

"""Invariants the database itself enforces, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, Table, insert
from sqlalchemy.exc import IntegrityError

from gardien.store.tables import contact_message, learner, newsletter_subscription

WHEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("table", "row"),
    [
        (
            learner,
            {
                "pseudonym": "7d1c1f0e-0000-4000-8000-000000000001",
                "email": "Camille.Martin@example.org",
                "given_name": "Camille",
                "family_name": "Martin",
                "created_at": WHEN,
                "last_activity_at": WHEN,
            },
        ),
        (
            contact_message,
            {
                "name": "Léa Bernard",
                "email": "LEA@example.org",
                "message": "Bonjour",
                "received_at": WHEN,
                "last_exchange_at": WHEN,
            },
        ),
        (
            newsletter_subscription,
            {
                "email": "Noe@Example.org",
                "status": "pending",
                "created_at": WHEN,
                "consent_at": WHEN,
                "consent_source": "footer form",
                "consent_notice_version": "abc",
                "consent_wording": "J'accepte.",
            },
        ),
    ],
)
def test_email_columns_refuse_upper_case(
    engine: Engine, table: Table, row: dict[str, object]
) -> None:
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert(table).values(row))
    lowered = {**row, "email": str(row["email"]).lower()}
    with engine.begin() as connection:
        connection.execute(insert(table).values(lowered))

"""The Citus layout holds for the schema the migrations build, not only for the models.

A unique index or a foreign key written in a migration alone would escape the unit test of
src/gardien/store/distribution.py; reflected from a migrated database, it cannot.
"""

from __future__ import annotations

import warnings

from sqlalchemy import Engine, MetaData

from gardien.store.distribution import LAYOUT, check, table_breaches
from gardien.store.tables import metadata


def test_the_migrated_schema_keeps_the_declared_layout(engine: Engine) -> None:
    reflected = MetaData()
    with warnings.catch_warnings():
        # SQLite cannot reflect an index on an expression (ix_activity_statement_statement_ref,
        # not unique, so no Citus rule is about it); PostgreSQL reflects it.
        warnings.filterwarnings(
            "ignore", message="Skipped unsupported reflection of expression-based index"
        )
        reflected.reflect(engine)
    reflected.remove(reflected.tables["alembic_version"])
    assert set(reflected.tables) == set(metadata.tables)
    found = check(reflected)
    assert found.ok, found
    # The reflection read the keys the rules are about: the statements' declared breaches.
    statements = table_breaches(reflected.tables["activity_statement"], LAYOUT)
    assert "unique (statement_id) lacks learner_id" in statements

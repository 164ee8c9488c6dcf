"""Alembic environment: runs migrations on the engine gardien hands over."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo

from gardien.store.tables import metadata

config = context.config
engine = config.attributes["engine"]
# Where store/migrate.py's upgrade() collects the revisions Alembic actually ran.
applied: list[str] | None = config.attributes.get("applied")


# Alembic calls it with keyword arguments (ctx, step, heads, run_args).
def record(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    if applied is not None and step.up_revision_id is not None:
        applied.append(step.up_revision_id)


with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        on_version_apply=record,
    )
    context.run_migrations()

"""Alembic, driven from code: upgrade to head, and refuse a database that is not there yet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from gardien.errors import DatabaseNotReadyError

if TYPE_CHECKING:
    from gardien.domain.xapi.pseudonyms import Pseudonyms


def alembic_config(engine: Engine, *, pseudonyms: Pseudonyms | None = None) -> Config:
    """An Alembic configuration pointing at the migrations shipped in the package.

    ``pseudonyms`` (the server key and public URL) is what migration 0009 stores the
    statements parked by earlier versions under; without it, it reads the environment.
    """
    config = Config()
    config.set_main_option("script_location", "gardien.store:migrations")
    config.attributes["engine"] = engine
    if pseudonyms is not None:
        config.attributes["pseudonyms"] = pseudonyms
    return config


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config_for_scripts()).get_heads()
    return heads[0]


def alembic_config_for_scripts() -> Config:
    config = Config()
    config.set_main_option("script_location", "gardien.store:migrations")
    return config


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty (unmigrated) database."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise DatabaseNotReadyError(
            f"cannot reach the database ({exc.orig.__class__.__name__})"
        ) from None


def upgrade(engine: Engine, *, pseudonyms: Pseudonyms | None = None) -> None:
    """Apply every migration not yet applied (``pseudonyms``: see :func:`alembic_config`)."""
    command.upgrade(alembic_config(engine, pseudonyms=pseudonyms), "head")


def ensure_migrated(engine: Engine) -> None:
    """Raise :class:`DatabaseNotReadyError` unless the schema is at the migrations' head."""
    current = current_revision(engine)
    if current != head_revision():
        state = "empty (never migrated)" if current is None else f"at revision {current}"
        raise DatabaseNotReadyError(
            f"the database is {state}, not at {head_revision()}: run 'gardien db upgrade' first"
        )

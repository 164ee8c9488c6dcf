"""The one ``MetaData`` every table belongs to, with constraint names stable across databases."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, MetaData

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def lower_case(column: str) -> CheckConstraint:
    """E-mail addresses are stored lower-cased, so that lookups are plain indexed equalities."""
    return CheckConstraint(f"{column} = lower({column})", name=f"{column}_lower_case")

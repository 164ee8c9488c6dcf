"""Storage: SQLAlchemy 2 tables, the engine, migrations (Alembic) and the unit of work.

Every column carries its classification in ``Column.info``: the policy category of the personal
data it holds, or an explicit statement that it holds none (see :mod:`gardien.store.classify`).
"""

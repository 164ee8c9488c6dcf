"""Plain Python: time, retention arithmetic, funding types and the vocabulary of records.

Imports neither FastAPI nor SQLAlchemy, and nothing of gardien outside itself.
"""

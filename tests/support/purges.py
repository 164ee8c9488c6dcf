"""A purge the console shows, recorded by the service the console uses (no sweep run)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from gardien.domain.clock import FixedClock
from gardien.services import purges
from tests.support.lookup import LOOKUP
from tests.support.retention_samples import default_policy


def job(engine: Engine, at: datetime) -> purges.Purge:
    """A purge of ``engine`` as of ``at``, as a test server with the default policy runs it."""
    return purges.Purge(
        engine=engine,
        policy=default_policy(),
        clock=FixedClock(at),
        lookup=LOOKUP,
        portal_url="http://127.0.0.1/",
    )


def started_run(engine: Engine, at: datetime, *, actor: str = "dpo:1") -> int:
    """Record a purge started at ``at`` (its ``sweep.started`` entry); the run's id."""
    purge = job(engine, at)
    return purges.start(purge, actor=actor, expected=purges.preview(purge))

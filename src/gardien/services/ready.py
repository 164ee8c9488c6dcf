"""Whether this process may be given traffic: the checks behind ``GET /ready``.

``/health`` says the process is alive and touches nothing; ``/ready`` runs every check of
:data:`CHECKS` against the database and answers 503 with their reasons when one fails. A check
is a function of the engine that returns None when all is well, else a :class:`NotReady`; a new
reason not to serve (say, erasures to replay after a restore) is one more function appended to
:data:`CHECKS`. Each check runs at every probe, so it must be cheap: one indexed query at most.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from gardien.errors import DatabaseNotReadyError
from gardien.store.migrate import current_revision, head_revision


@dataclass(frozen=True)
class NotReady:
    """Why the process is not ready: a short stable ``check`` name and an English ``detail``
    (for the operator; never a URL, a password or anything about a person)."""

    check: str
    detail: str

    def as_json(self) -> dict[str, str]:
        return {"check": self.check, "detail": self.detail}


ReadinessCheck = Callable[[Engine], NotReady | None]


@cache
def _head() -> str:
    # The migrations shipped with this process do not change while it runs: read them once.
    return head_revision()


def schema_at_head(engine: Engine) -> NotReady | None:
    """The database answers and its schema is at the migrations' head."""
    try:
        current = current_revision(engine)
    except DatabaseNotReadyError as error:
        if error.__cause__ is not None:
            # No connection: the driver's words name hosts and ports, which an open endpoint
            # does not tell; the kind of failure is enough to act on (the logs have no more).
            return NotReady("database", _unreachable(error.__cause__))
        return NotReady("database", str(error))
    except SQLAlchemyError as error:  # any other failure to answer: its kind only
        return NotReady("database", _unreachable(error))
    if current != _head():
        state = "empty (never migrated)" if current is None else f"at revision {current}"
        return NotReady("schema", f"the database is {state}, not at {_head()}")
    return None


def _unreachable(error: BaseException) -> str:
    return f"cannot reach the database ({type(error).__name__})"


# The checks of /ready, in order; the database's comes first (the others need it).
CHECKS: list[ReadinessCheck] = [schema_at_head]


def not_ready(engine: Engine, checks: Sequence[ReadinessCheck] | None = None) -> list[NotReady]:
    """Every reason ``engine``'s process is not ready (empty: ready).

    When the database cannot be reached, the later checks are not run: they would only say
    the same thing again.
    """
    reasons: list[NotReady] = []
    for check in CHECKS if checks is None else checks:
        reason = check(engine)
        if reason is not None:
            reasons.append(reason)
            if reason.check == "database":
                break
    return reasons

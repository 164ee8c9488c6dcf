"""Whether this process may be given traffic: the checks behind ``GET /ready``.

``/health`` says the process is alive and touches nothing; ``/ready`` runs every check of
:data:`CHECKS` against the database and answers 503 with their reasons when one fails. A check
is a function of the engine that returns None when all is well, else a :class:`NotReady`. Each
check runs at every probe, so it must be cheap: a query or two on small tables.

:data:`CHECKS` need only the engine. A process with an erasure ledger adds
:class:`ErasuresReplayed` (``Container.readiness_checks``): a database restored from a backup
under a running server lacks the erasures made since, and must not be served until
``gardien erasure replay`` has run, as a server refuses to start on it (docs/backups.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from gardien.errors import DatabaseNotReadyError, ErasureLedgerError
from gardien.store.erasure_applied import applied_ids, recorded_lineage
from gardien.store.erasure_ledger import ErasureLedger
from gardien.store.migrate import current_revision, head_revision

log = logging.getLogger(__name__)

# How long the ledger's listing is kept between probes: listing a bucket costs a request per
# thousand entries, and a restore under a running server is rare; the database's side is read
# at every probe.
LEDGER_LISTING_SECONDS = 60.0


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


class ErasuresReplayed:
    """A check of ``/ready``: the database has applied every erasure of ``ledger`` (for its
    lineage). The ledger's listing is kept ``every`` seconds; a ledger that cannot be listed
    makes no process unready (reading and ingest need no ledger; an erasure that cannot be
    recorded is refused on its own): the last listing stands, and the failure is logged."""

    def __init__(
        self,
        ledger: ErasureLedger,
        *,
        every: float = LEDGER_LISTING_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ledger = ledger
        self._every = every
        self._clock = clock
        self._lock = threading.Lock()
        self._listed: tuple[str, float, list[str]] | None = None  # lineage, when, entry ids

    def __call__(self, engine: Engine) -> NotReady | None:
        with engine.connect() as connection:
            lineage = recorded_lineage(connection)
            applied = applied_ids(connection) if lineage is not None else set()
        if lineage is None:  # no erasure was ever recorded for this database
            return None
        # Listed with no connection held: a bucket is a network call away.
        pending = [entry for entry in self._listing(lineage) if entry not in applied]
        if not pending:
            return None
        return NotReady(
            "erasures",
            f"the erasure ledger holds {len(pending)} erasure(s) this database has not applied"
            " (a backup from before them was restored?): run `gardien erasure replay`",
        )

    def _listing(self, lineage: str) -> list[str]:
        with self._lock:
            now = self._clock()
            kept = self._listed
            if kept is not None and kept[0] == lineage and now - kept[1] < self._every:
                return kept[2]
            try:
                listed = list(self._ledger.ids(lineage))
            except ErasureLedgerError as error:
                log.warning(
                    "ready: the erasure ledger could not be listed (%s)", type(error).__name__
                )
                return kept[2] if kept is not None and kept[0] == lineage else []
            self._listed = (lineage, now, listed)
            return listed


# The checks of /ready that need only the engine, in order; the database's comes first (the
# others need it).
CHECKS: list[ReadinessCheck] = [schema_at_head]


def not_ready(engine: Engine, checks: Sequence[ReadinessCheck] | None = None) -> list[NotReady]:
    """Every reason ``engine``'s process is not ready (empty: ready).

    When the database cannot be reached, or its schema is not at the head, the later checks are
    not run: they would only say the same thing again, or read tables that are not there.
    """
    reasons: list[NotReady] = []
    for check in CHECKS if checks is None else checks:
        reason = check(engine)
        if reason is not None:
            reasons.append(reason)
            if reason.check in ("database", "schema"):
                break
    return reasons

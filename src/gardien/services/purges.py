"""Purges: the sweep as one run, whoever starts it (``gardien sweep``, or the DPO's console).

:func:`purge` is what ``gardien sweep`` does: every retention rule (:func:`sweep`, in bounded,
audited batches), then the inactivity warnings due, then one ``sweep.run`` entry in the audit
log with the per-rule counts and the duration. That last entry is written even when nothing
expired, so the log tells when the daily sweep last ran (:func:`schedule`).

A purge started from the console is the same run, plus a ``sweep.started`` entry written
first: its id names the run, and the run's batches and its ``sweep.run`` (or ``sweep.failed``)
entry carry that id, so any worker of the web app can tell how far it got (:func:`run_status`)
from the audit log alone. Only counts are recorded, never anything about a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from time import perf_counter
from typing import Any

from sqlalchemy import Engine, select

from gardien.domain.clock import Clock
from gardien.domain.lookup import SubjectLookup
from gardien.policy import Policy
from gardien.services import audit
from gardien.services.inactivity import WarningReport, queue_inactivity_warnings
from gardien.services.sweep import DEFAULT_BATCH, Progress, SweepReport, sweep
from gardien.store.audit import append_audit
from gardien.store.blobs import BlobStore
from gardien.store.tables import audit_entry
from gardien.store.uow import UnitOfWork

STARTED = "sweep.started"
FINISHED = "sweep.run"
FAILED = "sweep.failed"
BATCH = "sweep.batch"
# The sweep and the audit check run every night: past this long without one, it is late.
LATE_AFTER = timedelta(hours=26)
# A run that wrote nothing for this long stopped without finishing (its process ended).
STALLED_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Purge:
    """What a purge needs, as ``gardien sweep`` and the web app both have it."""

    engine: Engine
    policy: Policy
    clock: Clock
    lookup: SubjectLookup
    portal_url: str
    blobs: BlobStore | None = None


@dataclass
class PurgeReport:
    """A finished purge: the sweep's report, the warnings queued, how long it took."""

    sweep: SweepReport
    warnings: WarningReport | None
    seconds: float
    run: int | None = None

    def audit_details(self) -> dict[str, Any]:
        """The ``sweep.run`` entry's details: counts per rule, duration (no personal data)."""
        return {
            "run": self.run,
            "as_of": self.sweep.as_of.isoformat(),
            "seconds": round(self.seconds, 3),
            "rules": {
                rule.rule: {"action": rule.action, "records": rule.expired, "batches": rule.batches}
                for rule in self.sweep.rules
            },
            "warnings": self.warnings.total if self.warnings else 0,
        }


def preview(job: Purge) -> SweepReport:
    """A dry run: per rule, how many records a purge now would delete or anonymise.

    Nothing is written; counts only.
    """
    return sweep(
        job.engine,
        policy=job.policy,
        clock=job.clock,
        lookup=job.lookup,
        dry_run=True,
    )


def purge(
    job: Purge,
    *,
    actor: str = "sweep",
    run: int | None = None,
    batch_size: int = DEFAULT_BATCH,
    batch_seconds: float | None = None,
    progress: Progress | None = None,
) -> PurgeReport:
    """Sweep every rule, queue the inactivity warnings due, and record the run in the log.

    ``run`` is the id of the ``sweep.started`` entry of a purge started from the console
    (:func:`start`), else None. Each batch is its own transaction, so a run that stops midway
    leaves nothing half done, and running again finishes the work.
    """
    started = perf_counter()
    report = sweep(
        job.engine,
        policy=job.policy,
        clock=job.clock,
        lookup=job.lookup,
        batch_size=batch_size,
        batch_seconds=batch_seconds,
        progress=progress,
        actor=actor,
        blobs=job.blobs,
        run=run,
    )
    # Warned learners are never expired ones, so the order of the two does not matter.
    warnings = queue_inactivity_warnings(
        UnitOfWork(job.engine, write=True),
        policy=job.policy,
        clock=job.clock,
        portal_url=job.portal_url,
        # Queuing an e-mail costs about the same everywhere: fixed batches suffice.
        batch_size=min(batch_size, DEFAULT_BATCH),
    )
    result = PurgeReport(report, warnings, perf_counter() - started, run)
    with UnitOfWork(job.engine, write=True) as uow:
        append_audit(
            uow.connection,
            action=FINISHED,
            actor=actor,
            details=result.audit_details(),
            recorded_at=job.clock.now(),
        )
        uow.commit()
    return result


def start(job: Purge, *, actor: str, expected: SweepReport) -> int:
    """Record that ``actor`` starts a purge (``sweep.started``); the entry's id names the run.

    ``expected`` is the dry run the DPO confirmed: its counts let the status page say how far
    the run has got.
    """
    with UnitOfWork(job.engine, write=True) as uow:
        run = append_audit(
            uow.connection,
            action=STARTED,
            actor=actor,
            details={
                "as_of": expected.as_of.isoformat(),
                "expected": {rule.rule: rule.expired for rule in expected.rules},
            },
            recorded_at=job.clock.now(),
        )
        uow.commit()
    return run


def record_failure(job: Purge, *, actor: str, run: int, error: BaseException) -> None:
    """Record that run ``run`` stopped on an error (its kind only: messages may hold data)."""
    with UnitOfWork(job.engine, write=True) as uow:
        append_audit(
            uow.connection,
            action=FAILED,
            actor=actor,
            details={"run": run, "error": type(error).__name__},
            recorded_at=job.clock.now(),
        )
        uow.commit()


# -- how a run is doing ------------------------------------------------------------------------


@dataclass
class RunStatus:
    """A purge started from the console, read back from the audit log.

    ``state`` is ``running``, ``done``, ``failed`` or ``stalled`` (no entry for
    :data:`STALLED_AFTER`: its process ended before it finished).
    """

    run: int
    actor: str
    started_at: datetime
    state: str
    expected: dict[str, int]
    done: dict[str, int] = field(default_factory=dict)
    finished_at: datetime | None = None
    seconds: float | None = None
    warnings: int = 0

    @property
    def expected_total(self) -> int:
        """Records the dry run counted when the DPO started the run."""
        return sum(self.expected.values())

    @property
    def done_total(self) -> int:
        """Records deleted or anonymised so far."""
        return sum(self.done.values())


def _details(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _counts(value: Any) -> dict[str, int]:
    return {str(k): v for k, v in _details(value).items() if isinstance(v, int)}


def run_status(uow: UnitOfWork, run: int, *, now: datetime) -> RunStatus | None:
    """The run whose ``sweep.started`` entry is ``run``; None if there is no such run."""
    with uow:
        connection = uow.connection
        head = connection.execute(
            select(audit_entry.c.actor, audit_entry.c.recorded_at, audit_entry.c.details).where(
                audit_entry.c.id == run, audit_entry.c.action == STARTED
            )
        ).first()
        if head is None:
            return None
        # The run's own entries come after its start and carry its actor; a run's batches
        # come before its end, so they are read in one pass, in order.
        later = connection.execute(
            select(audit_entry.c.action, audit_entry.c.recorded_at, audit_entry.c.details)
            .where(
                audit_entry.c.id > run,
                audit_entry.c.actor == head.actor,
                audit_entry.c.action.in_([BATCH, FINISHED, FAILED]),
            )
            .order_by(audit_entry.c.id)
        ).all()
    details = _details(head.details)
    status = RunStatus(
        run=run,
        actor=head.actor,
        started_at=head.recorded_at,
        state="running",
        expected=_counts(details.get("expected")),
    )
    last_sign = head.recorded_at
    for entry in later:
        entry_details = _details(entry.details)
        if entry.action == BATCH:
            if entry_details.get("run") != run:
                continue
            rule = str(entry_details.get("rule"))
            records = entry_details.get("records")
            status.done[rule] = status.done.get(rule, 0) + (
                records if isinstance(records, int) else 0
            )
            last_sign = entry.recorded_at
            continue
        if entry_details.get("run") != run:
            continue
        status.finished_at = entry.recorded_at
        if entry.action == FAILED:
            status.state = "failed"
            break
        status.state = "done"
        rules = _details(entry_details.get("rules"))
        status.done = {
            rule: int(_details(counts).get("records", 0)) for rule, counts in rules.items()
        }
        seconds = entry_details.get("seconds")
        status.seconds = float(seconds) if isinstance(seconds, int | float) else None
        warnings = entry_details.get("warnings")
        status.warnings = warnings if isinstance(warnings, int) else 0
        break
    if status.state == "running" and now - last_sign > STALLED_AFTER:
        status.state = "stalled"
    return status


def running(uow: UnitOfWork, *, now: datetime) -> RunStatus | None:
    """The console's purge still running, if any (the latest started one, unless it ended)."""
    with uow:
        latest = uow.connection.execute(
            select(audit_entry.c.id)
            .where(audit_entry.c.action == STARTED)
            .order_by(audit_entry.c.id.desc())
            .limit(1)
        ).scalar()
    if latest is None:
        return None
    status = run_status(uow, int(latest), now=now)
    return status if status is not None and status.state == "running" else None


# -- the schedule ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """A nightly job and its last run, as the audit log records it."""

    name: str
    last_run: datetime | None
    late: bool


@dataclass(frozen=True)
class Schedule:
    """The two nightly jobs: the sweep (``gardien sweep``), the audit check
    (``gardien audit verify --record``)."""

    sweep: Job
    audit: Job

    @property
    def late(self) -> bool:
        """True when either job is late (or never ran)."""
        return self.sweep.late or self.audit.late


def _last(uow: UnitOfWork, action: str) -> datetime | None:
    with uow:
        found: datetime | None = uow.connection.execute(
            select(audit_entry.c.recorded_at)
            .where(audit_entry.c.action == action)
            .order_by(audit_entry.c.id.desc())
            .limit(1)
        ).scalar()
    return found


def schedule(engine: Engine, *, now: datetime) -> Schedule:
    """When the sweep and the audit check last ran; late past :data:`LATE_AFTER`, or never."""

    def job(name: str, action: str) -> Job:
        last = _last(UnitOfWork(engine), action)
        return Job(name, last, last is None or now - last > LATE_AFTER)

    return Schedule(sweep=job("sweep", FINISHED), audit=job("audit", audit.VERIFIED))

"""``gardien sweep``: apply every retention rule of the policy, as of a date.

For each rule: the expired rows are one range condition on the rule's clock (indexed), read in
bounded batches; each batch is erased and audited in ONE transaction, so a crash loses nothing
and leaves no subject half erased, and a rerun simply finds what is left. The cost follows the
expired rows, not the stored ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from time import perf_counter, sleep
from typing import Any

from sqlalchemy import Connection, Engine

from gardien.domain.clock import Clock
from gardien.domain.lookup import SubjectLookup
from gardien.domain.retention import expiry_threshold
from gardien.domain.vocabulary import RetentionAction
from gardien.policy import Policy
from gardien.policy.model import RetentionRule
from gardien.services.batching import BatchSizing
from gardien.services.xapi.attachments import drop_unused_blobs
from gardien.store.audit import append_audit, prune_audit
from gardien.store.blobs import BlobStore
from gardien.store.retention.learners import CommercialKeep, erase_learners
from gardien.store.retention.records import erase_records
from gardien.store.retention.selection import count_expired, select_expired
from gardien.store.scrub import scrub_freed_pages
from gardien.store.uow import UnitOfWork

Progress = Callable[[str, int, int], None]
DEFAULT_BATCH = 1000
# What ``gardien sweep`` does unless told otherwise: batches sized to last about half a second
# (the longest a web request waits for the SQLite write lock), of at most 20,000 records.
CLI_MAX_BATCH = 20_000
CLI_BATCH_SECONDS = 0.5
# SQLite has one write lock and no queue: a writer that waits (the web app) polls at intervals
# of up to 100 ms, and would keep missing the instant between two batches. A short pause after
# each batch lets it in, so it waits for one batch at most. PostgreSQL needs none.
SQLITE_PAUSE_SECONDS = 0.02


@dataclass
class RuleReport:
    """What one rule expired (or, in a dry run, would expire)."""

    rule: str
    record: str
    action: str
    threshold: date
    expired: int = 0
    batches: int = 0
    rows: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "record": self.record,
            "action": self.action,
            "expired_if_clock_before": self.threshold.isoformat(),
            "expired": self.expired,
            "batches": self.batches,
            "rows": dict(sorted(self.rows.items())),
        }


@dataclass
class SweepReport:
    """The whole sweep: the as-of date, dry run or not, and one report per rule."""

    as_of: date
    dry_run: bool
    rules: list[RuleReport] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "rules": [rule.as_json() for rule in self.rules],
        }

    def summary(self) -> str:
        verb = "would expire" if self.dry_run else "expired"
        lines = [f"sweep as of {self.as_of.isoformat()}{' (dry run)' if self.dry_run else ''}"]
        for rule in self.rules:
            rows = ", ".join(f"{name} {n}" for name, n in sorted(rule.rows.items()))
            lines.append(
                f"{rule.rule}: {rule.expired} {rule.record} {verb}" + (f" ({rows})" if rows else "")
            )
        return "\n".join(lines)


def sweep(
    engine: Engine,
    *,
    policy: Policy,
    clock: Clock,
    lookup: SubjectLookup,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    actor: str = "sweep",
    pause_seconds: float | None = None,
    batch_seconds: float | None = None,
    blobs: BlobStore | None = None,
    run: int | None = None,
) -> SweepReport:
    """Apply every retention rule of ``policy`` as of ``clock.today()``.

    What outlives an expired learner gets the keyed ``lookup`` of their address.

    A batch takes ``batch_size`` records, or with ``batch_seconds`` as many (up to
    ``batch_size``) as last about that long (see :mod:`gardien.services.batching`).
    ``pause_seconds`` is slept after each committed batch (default: a short pause on SQLite,
    none on PostgreSQL) so that other writers get the lock between batches. ``blobs``: the
    blob store, whose content no attachment uses any more (their statements expired) goes.
    ``run``: the purge this sweep belongs to (:mod:`gardien.services.purges`), named in each
    batch's audit entry.
    """
    sizing = BatchSizing(batch_size, batch_seconds)
    if pause_seconds is None:
        pause_seconds = SQLITE_PAUSE_SECONDS if engine.dialect.name == "sqlite" else 0.0
    today = clock.today()
    report = SweepReport(as_of=today, dry_run=dry_run)
    for rule_id, rule in policy.retention.items():
        threshold = expiry_threshold(today, rule.months)
        result = RuleReport(rule_id, rule.record, rule.action.value, threshold)
        report.rules.append(result)
        with engine.connect() as connection:
            pending = count_expired(
                connection,
                rule.record,
                rule.clock,
                threshold=threshold,
                financial_year=policy.financial_year,
                unless_learner_before=removed_with_learners(policy, rule_id, today),
            )
        if dry_run:
            result.expired = pending
            continue
        if progress is not None:
            progress(rule_id, 0, pending)
        size = sizing.first()
        while True:
            started = perf_counter()
            batch = _Batch(rule_id, rule, threshold, size, actor, run)
            if not _one_batch(engine, batch, policy, clock, lookup, result):
                break
            size = sizing.following(size, perf_counter() - started)
            if progress is not None:
                progress(rule_id, min(result.expired, pending), max(pending, result.expired))
            if pause_seconds:
                sleep(pause_seconds)
    if dry_run:  # nothing was erased: no freed page to scrub
        return report
    if blobs is not None:
        drop_unused_blobs(engine, blobs)
    scrub_freed_pages(engine)
    return report


@dataclass(frozen=True)
class _Batch:
    """One batch of one rule: which rule, below which clock day, how many records at most."""

    rule_id: str
    rule: RetentionRule
    threshold: date
    size: int
    actor: str
    run: int | None = None


def _one_batch(
    engine: Engine,
    batch: _Batch,
    policy: Policy,
    clock: Clock,
    lookup: SubjectLookup,
    result: RuleReport,
) -> bool:
    """Process one batch in its own transaction; False when nothing is left to do."""
    rule_id, rule, threshold, batch_size, actor = (
        batch.rule_id,
        batch.rule,
        batch.threshold,
        batch.size,
        batch.actor,
    )
    now = clock.now()
    with UnitOfWork(engine, write=True) as uow:
        connection = uow.connection
        if rule.record == "audit_entry":
            done = prune_audit(connection, before=_midnight(threshold), limit=batch_size)
            if not done:
                return False
            rows: dict[str, int] = {"audit_entry": done}
            subjects: list[str] = []
        else:
            ids = select_expired(
                connection,
                rule.record,
                rule.clock,
                threshold=threshold,
                limit=batch_size,
                financial_year=policy.financial_year,
            )
            if not ids:
                return False
            done = len(ids)
            rows, subjects = _erase(connection, rule, policy, ids, now, clock.today(), lookup)
        append_audit(
            connection,
            action="sweep.batch",
            actor=actor,
            details={
                "rule": rule_id,
                "record": rule.record,
                "action": rule.action.value,
                "as_of": clock.today().isoformat(),
                "records": done,
                "rows": rows,
                "subjects": subjects,
                **({"run": batch.run} if batch.run is not None else {}),
            },
            recorded_at=now,
        )
        uow.commit()
    result.expired += done
    result.batches += 1
    result.rows.update(rows)
    return True


def _erase(
    connection: Connection,
    rule: RetentionRule,
    policy: Policy,
    ids: list[int],
    now: datetime,
    today: date,
    lookup: SubjectLookup,
) -> tuple[dict[str, int], list[str]]:
    if rule.record == "learner":
        erased = erase_learners(
            connection,
            ids,
            now=now,
            lookup=lookup.of,
            commercial=commercial_keep(policy, today),
            aggregate=rule.action is RetentionAction.ANONYMISE,
        )
        return erased.rows, erased.pseudonyms
    rows = erase_records(connection, rule.record, ids, action=rule.action, now=now)
    return rows, [f"{rule.record}:{record_id}" for record_id in ids]


def removed_with_learners(policy: Policy, rule_id: str, today: date) -> date | None:
    """The learner threshold below which this rule's rows go with their learner first.

    A dry run or a forecast must not count twice a row (a queued e-mail) that the learner rule
    would already have removed by the time this rule runs.
    """
    months = policy.owner_rule_months(rule_id)
    return None if months is None else expiry_threshold(today, months)


def commercial_keep(policy: Policy, today: date) -> CommercialKeep | None:
    """When the policy keeps a commercial contact, from which last-contract day it still runs."""
    for rule in policy.retention.values():
        if rule.record == "commercial_contact":
            return CommercialKeep(since=expiry_threshold(today, rule.months))
    return None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)

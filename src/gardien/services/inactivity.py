"""Inactivity warning: before a learner's data expires, tell them that signing in keeps it.

A retention rule on learners may carry ``warning: {days_before: N}``. Every run (the sweep
calls :func:`queue_inactivity_warnings`) queues one e-mail in the outbox for each learner whose
data will be erased within the next N days and is not erased yet. Which learners that is, is a
range of last-activity days, so the selection is one indexed range condition on
``learner.last_activity_at``, walked in bounded batches, one transaction per batch; each batch
appends one audit entry that names the learners by pseudonym only.

One warning per clock cycle: the outbox's unique dedupe key names the learner and the exact
reading of their clock. A rerun, the next day's run or a concurrent run finds the key taken
and queues nothing; once the learner signs in, their clock moves and a later cycle may be
warned again. Queuing or sending a warning is not an activity of the learner: nothing here
touches ``last_activity_at``.

What the e-mail says is in ``gardien/mail/templates/inactivity_warning.*.txt``; what the DPO
reads about it in ``docs/inactivity-warning.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from gardien.domain.clock import Clock
from gardien.domain.retention import (
    clock_date,
    expiry_threshold,
    first_expired_day,
    retention_end,
)
from gardien.errors import ConfigurationError
from gardien.mail.render import render_mail
from gardien.policy import Policy
from gardien.policy.model import RetentionRule
from gardien.store.audit import append_audit
from gardien.store.outbox import (
    INACTIVITY_WARNING,
    LearnerToWarn,
    NewMessage,
    learners_to_warn,
    queue_messages,
)
from gardien.store.uow import UnitOfWork

AUDIT_ACTION = "inactivity.warned"
AUDIT_ACTOR = "sweep"
TEMPLATE = "inactivity_warning"


@dataclass(frozen=True, slots=True)
class WarningWindow:
    """The learners warned on a day: those last active on a day in ``[active_from, active_before)``.

    ``active_from`` is the first last-activity day not yet expired; ``active_before`` the
    first one that does not expire within the warning period.
    """

    active_from: date
    active_before: date

    def instants(self) -> tuple[datetime, datetime]:
        """The window as UTC instants (midnight of each bound), for the range condition."""
        return _midnight(self.active_from), _midnight(self.active_before)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def warning_window(today: date, *, months: int, days_before: int) -> WarningWindow:
    """Whose data, kept ``months`` after the last activity, is erased within ``days_before`` days.

    A learner is in the window when their first expired day (the day the sweep erases them)
    falls in ``today + 1 .. today + days_before``: not expired today, expired by then. Both
    bounds come from :func:`~gardien.domain.retention.expiry_threshold`, so calendar clamping
    (31 August + 6 months = 28 February) is counted exactly as the sweep counts it.
    """
    if days_before < 1:
        raise ValueError(f"a warning comes at least one day before expiry (got {days_before})")
    return WarningWindow(
        active_from=expiry_threshold(today, months),
        active_before=expiry_threshold(today + timedelta(days=days_before), months),
    )


@dataclass(frozen=True, slots=True)
class RuleWarnings:
    """What one run did for one retention rule: warnings queued, in how many batches."""

    rule: str
    days_before: int
    window: WarningWindow
    queued: int
    batches: int


@dataclass(frozen=True, slots=True)
class WarningReport:
    """The outcome of :func:`queue_inactivity_warnings`, per rule that asks for a warning."""

    as_of: date
    rules: dict[str, RuleWarnings]

    @property
    def total(self) -> int:
        """Warnings queued by this run, all rules together."""
        return sum(result.queued for result in self.rules.values())

    def summary(self) -> str:
        """One line per rule, for a terminal (counts only: no personal data)."""
        head = f"inactivity warnings as of {self.as_of.isoformat()}"
        if not self.rules:
            return f"{head}: no retention rule asks for one"
        lines = [f"{head}: {self.total} queued"]
        for result in self.rules.values():
            lines.append(
                f"  {result.rule}: {result.queued} queued for data erased within "
                f"{result.days_before} days (in {result.batches} batches)"
            )
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON data, for ``--json`` output."""
        return {
            "as_of": self.as_of.isoformat(),
            "total": self.total,
            "rules": {
                rid: {
                    "days_before": result.days_before,
                    "last_activity_from": result.window.active_from.isoformat(),
                    "last_activity_before": result.window.active_before.isoformat(),
                    "queued": result.queued,
                    "batches": result.batches,
                }
                for rid, result in self.rules.items()
            },
        }


def queue_inactivity_warnings(
    uow: UnitOfWork,
    *,
    policy: Policy,
    clock: Clock,
    portal_url: str,
    batch_size: int = 1000,
) -> WarningReport:
    """Queue the inactivity warnings due on ``clock.today()``, for every rule that asks for one.

    Each learner whose data expires within the rule's ``days_before`` days gets one e-mail (in
    French, then English) giving the day their data will be erased and inviting them to sign
    in at ``portal_url``. At most ``batch_size`` learners per transaction; each batch that
    queues something appends one audit entry. Learners already warned for their current
    clock cycle are skipped, so running this again, the next day or concurrently queues no
    second warning; an interrupted run is finished by the next one.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1 (got {batch_size})")
    if not portal_url.strip():
        raise ConfigurationError("the inactivity warning needs the portal's URL to link to")
    today = clock.today()
    results: dict[str, RuleWarnings] = {}
    for rule_id, rule in policy.retention.items():
        if rule.warning is None or rule.record != "learner":
            continue
        results[rule_id] = _warn(
            uow,
            rule_id=rule_id,
            rule=rule,
            policy=policy,
            clock=clock,
            portal_url=portal_url,
            batch_size=batch_size,
        )
    return WarningReport(as_of=today, rules=results)


def _warn(
    uow: UnitOfWork,
    *,
    rule_id: str,
    rule: RetentionRule,
    policy: Policy,
    clock: Clock,
    portal_url: str,
    batch_size: int,
) -> RuleWarnings:
    """One rule: walk its window batch by batch, one transaction each."""
    assert rule.warning is not None
    today, now = clock.today(), clock.now()
    days_before = rule.warning.days_before
    window = warning_window(today, months=rule.months, days_before=days_before)
    active_from, active_before = window.instants()
    after: tuple[datetime, int] | None = None
    queued = batches = 0
    while True:
        with uow:
            connection = uow.connection
            learners = learners_to_warn(
                connection,
                active_from=active_from,
                active_before=active_before,
                after=after,
                limit=batch_size,
            )
            if not learners:
                break
            messages = [_message(one, rule, policy, portal_url, now) for one in learners]
            inserted = queue_messages(connection, messages, now=now)
            # A concurrent run may have queued some of them since we read: those are its own.
            warned = [one for one in learners if one.dedupe_key in inserted]
            if warned:
                details = {
                    "rule": rule_id,
                    "as_of": today.isoformat(),
                    "days_before": days_before,
                    "count": len(warned),
                    "learners": [one.pseudonym for one in warned],
                }
                append_audit(
                    connection,
                    action=AUDIT_ACTION,
                    actor=AUDIT_ACTOR,
                    details=details,
                    recorded_at=now,
                )
            uow.commit()
        queued += len(warned)
        batches += 1
        if len(learners) < batch_size:
            break
        last = learners[-1]
        after = (last.last_activity_at, last.id)
    return RuleWarnings(rule_id, days_before, window, queued, batches)


def _message(
    learner: LearnerToWarn,
    rule: RetentionRule,
    policy: Policy,
    portal_url: str,
    now: datetime,
) -> NewMessage:
    """The warning e-mail of one learner, keyed to their current clock cycle."""
    mail = render_mail(
        TEMPLATE,
        {
            "given_name": learner.given_name,
            "controller_name": policy.controller.name,
            "dpo_email": str(policy.controller.dpo.email),
            "portal_url": portal_url,
            "rule_label": rule.label,
            "months": rule.months,
            "action": rule.action.value,
            "last_activity_day": clock_date(learner.last_activity_at),
            "last_kept_day": retention_end(learner.last_activity_at, rule.months),
            "deletion_day": first_expired_day(learner.last_activity_at, rule.months),
        },
    )
    return NewMessage(
        dedupe_key=learner.dedupe_key,
        kind=INACTIVITY_WARNING,
        recipient=learner.email,
        subject=mail.subject,
        body=mail.body,
        send_after=now,
        learner_id=learner.id,
    )

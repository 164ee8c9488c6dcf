"""The DPO console's use cases: the dashboard, the DPO's decisions on a request, the messages.

The dashboard gathers what the DPO must watch: the open data-subject requests, most urgent
first; what retention will remove in the coming months (:mod:`gardien.services.forecast`);
the last runs of the sweep; and whether the audit log's hash chain verifies.

Runs are rebuilt from their ``sweep.batch`` entries, one per batch
(:mod:`gardien.services.sweep`): consecutive batches with the same actor and as-of day, whose
rules follow the policy's order. A run that found nothing to remove has no batch, and so does
not show (its ``sweep.run`` entry, :mod:`gardien.services.purges`, dates the nightly sweep).

Every decision goes through :mod:`gardien.services.requests`, which audits it; reading the
contact messages is an access to personal data and is audited here. The actor is
:func:`dpo_actor`: the account's id, never its address.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine, select

from gardien.domain.clock import Clock
from gardien.errors import InvalidInputError, RequestStateError
from gardien.i18n import DEFAULT_LANGUAGE, SUPPORTED
from gardien.policy import Policy
from gardien.services import audit
from gardien.services.accounts.context import AccountServices
from gardien.services.erasure import ErasureResult, erase_subject
from gardien.services.erasure_mail import queue_erasure_mail
from gardien.services.forecast import Forecast, forecast
from gardien.services.objection import object_to_commercial
from gardien.services.requests import (
    RequestView,
    close_request,
    close_row,
    console_requests,
    extend_request,
    follow_url,
    open_request_row,
    request_by_reference,
)
from gardien.services.website.contact import ContactMessage, list_messages
from gardien.store.audit import AuditVerification, append_audit
from gardien.store.tables import audit_entry
from gardien.store.uow import UnitOfWork

FORECAST_MONTHS = 6
SWEEP_RUNS = 10
MESSAGES = 100
# Free text the DPO writes (a note, a reason): as long as an extension's reason may be.
MAX_TEXT = 2000
SWEEP_BATCH = "sweep.batch"
MESSAGES_VIEWED = "console.messages_viewed"
# Audit entries read per query while looking for the last sweep runs.
_CHUNK = 500


def dpo_actor(account_id: int) -> str:
    """How the audit log names a DPO: by account id, never by e-mail address."""
    return f"dpo:{account_id}"


# -- the dashboard -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepRun:
    """One run of the sweep, rebuilt from its ``sweep.batch`` audit entries."""

    as_of: date | None
    actor: str
    started_at: datetime
    finished_at: datetime
    batches: int
    records: int
    rows: dict[str, int]
    rules: tuple[str, ...]


@dataclass
class _RunBuilder:
    as_of: str | None
    actor: str
    started_at: datetime
    finished_at: datetime
    earliest_rule: int
    batches: int = 0
    records: int = 0
    rows: Counter[str] = field(default_factory=Counter)
    rules: list[str] = field(default_factory=list)

    def takes(self, actor: str, as_of: str | None, rule_order: int | None) -> bool:
        # Walking back in time, an earlier batch of the same run has the same actor and as-of
        # day, and a rule that comes at or before the rules seen so far. A rule the policy no
        # longer has (``None``) cannot tell: it stays with the run it sits in.
        return (
            actor == self.actor
            and as_of == self.as_of
            and (rule_order is None or rule_order <= self.earliest_rule)
        )

    def add(self, recorded_at: datetime, details: dict[str, Any], rule_order: int | None) -> None:
        self.started_at = min(self.started_at, recorded_at)
        self.finished_at = max(self.finished_at, recorded_at)
        if rule_order is not None:
            self.earliest_rule = min(self.earliest_rule, rule_order)
        self.batches += 1
        records = details.get("records")
        self.records += records if isinstance(records, int) else 0
        rows = details.get("rows")
        if isinstance(rows, dict):
            self.rows.update({str(k): v for k, v in rows.items() if isinstance(v, int)})
        rule = details.get("rule")
        if isinstance(rule, str) and rule not in self.rules:
            self.rules.insert(0, rule)

    def done(self) -> SweepRun:
        return SweepRun(
            as_of=_parse_day(self.as_of),
            actor=self.actor,
            started_at=self.started_at,
            finished_at=self.finished_at,
            batches=self.batches,
            records=self.records,
            rows=dict(sorted(self.rows.items())),
            rules=tuple(self.rules),
        )


def _parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def last_sweeps(uow: UnitOfWork, *, policy: Policy, limit: int = SWEEP_RUNS) -> list[SweepRun]:
    """The last ``limit`` runs of the sweep, newest first, from the audit log's batches.

    Entries are read newest first, :data:`_CHUNK` at a time, until the run before the
    ``limit``-th shows (so that one is complete) or the log ends.
    """
    order = {rule_id: index for index, rule_id in enumerate(policy.retention)}
    runs: list[_RunBuilder] = []
    before: int | None = None
    complete = False
    with uow:
        while not complete:
            query = select(
                audit_entry.c.id,
                audit_entry.c.recorded_at,
                audit_entry.c.actor,
                audit_entry.c.details,
            ).where(audit_entry.c.action == SWEEP_BATCH)
            if before is not None:
                query = query.where(audit_entry.c.id < before)
            rows = uow.connection.execute(
                query.order_by(audit_entry.c.id.desc()).limit(_CHUNK)
            ).all()
            for row in rows:
                details = dict(row.details) if isinstance(row.details, dict) else {}
                as_of = details.get("as_of")
                as_of = as_of if isinstance(as_of, str) else None
                rank = order.get(str(details.get("rule")))
                if not runs or not runs[-1].takes(row.actor, as_of, rank):
                    if len(runs) == limit:
                        complete = True
                        break
                    first = len(order) if rank is None else rank
                    runs.append(
                        _RunBuilder(as_of, row.actor, row.recorded_at, row.recorded_at, first)
                    )
                runs[-1].add(row.recorded_at, details, rank)
            if len(rows) < _CHUNK:
                break
            before = rows[-1].id
    return [run.done() for run in runs]


@dataclass(frozen=True)
class Dashboard:
    """What the console's first page shows, as of ``today``."""

    today: date
    requests: list[RequestView]
    forecast: Forecast
    sweeps: list[SweepRun]
    chain: AuditVerification
    # The full verification the chain was checked from (None: checked in full just now).
    checkpoint: audit.Checkpoint | None = None

    @property
    def overdue(self) -> int:
        """How many open requests are past their due day."""
        return sum(1 for item in self.requests if item.overdue)


def open_requests(uow: UnitOfWork, *, today: date) -> list[RequestView]:
    """The open requests, most urgent first (fewest days left, then the oldest)."""
    return console_requests(uow, today=today)


def dashboard(
    engine: Engine,
    *,
    policy: Policy,
    clock: Clock,
    forecast_months: int = FORECAST_MONTHS,
    sweep_runs: int = SWEEP_RUNS,
) -> Dashboard:
    """Open requests, the purge forecast, the last sweeps and the audit chain's status.

    The chain is verified from the last full verification recorded in the log
    (``gardien audit verify --record``, run nightly) to its head, so a visit costs what was
    appended since; with no such record, in full. Nothing is written.
    """
    today = clock.today()
    checkpoint = audit.last_checkpoint(UnitOfWork(engine))
    since = (checkpoint.up_to, checkpoint.hash) if checkpoint is not None else None
    return Dashboard(
        today=today,
        requests=open_requests(UnitOfWork(engine), today=today),
        forecast=forecast(
            engine, policy=policy, clock=clock, until=today + relativedelta(months=forecast_months)
        ),
        sweeps=last_sweeps(UnitOfWork(engine), policy=policy, limit=sweep_runs),
        chain=audit.report(UnitOfWork(engine), since=since).verification,
        checkpoint=checkpoint,
    )


# -- one request and the DPO's decisions -------------------------------------------------------


def console_request(uow: UnitOfWork, reference: str, *, today: date) -> RequestView:
    """One request by its reference; :class:`~gardien.errors.NotFoundError` if none."""
    return request_by_reference(uow, reference, today=today)


def can_erase_here(view: RequestView) -> bool:
    """True for an open erasure request filed without an account, which the console carries out.

    A signed-in learner's erasure is carried out at once from their own pages; a request
    proved by an e-mail link has no account behind it, so the DPO runs it from here.
    """
    return not view.closed and view.kind == "erasure" and view.identity_check == "email_link"


def language_of(view: RequestView) -> str:
    """The language the person filed their request in: their e-mails are written in it,
    whatever language the DPO reads the console in."""
    lang = view.details.get("lang")
    return lang if isinstance(lang, str) and lang in SUPPORTED else DEFAULT_LANGUAGE


def _text(value: str, *, field_name: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInputError("this cannot be empty", field=field_name)
    if len(value) > MAX_TEXT:
        raise InvalidInputError(f"at most {MAX_TEXT:,} characters", field=field_name)
    return value


def extend(
    uow: UnitOfWork, services: AccountServices, *, reference: str, reason: str, actor: str
) -> RequestView:
    """Extend the deadline by two months; the person is told ``reason`` by e-mail.

    :class:`InvalidInputError` for an empty or too long reason, :class:`RequestStateError` once
    closed, extended already, or past the first due day. Audited as ``request.extended``.
    """
    reason = _text(reason, field_name="reason")
    view = request_by_reference(uow, reference, today=services.clock.today())
    return extend_request(
        uow, services, reference=reference, reason=reason, actor=actor, lang=language_of(view)
    )


def complete(
    uow: UnitOfWork, services: AccountServices, *, reference: str, note: str, actor: str
) -> RequestView:
    """Close the request ``completed``, with a note of what was done (kept in its outcome)."""
    note = _text(note, field_name="note")
    view = request_by_reference(uow, reference, today=services.clock.today())
    return close_request(
        uow,
        services,
        reference=reference,
        status="completed",
        outcome={"note": note},
        actor=actor,
        lang=language_of(view),
    )


def refuse(
    uow: UnitOfWork, services: AccountServices, *, reference: str, reason: str, actor: str
) -> RequestView:
    """Close the request ``refused``, with why (GDPR art. 12(4): the person is owed a reason)."""
    reason = _text(reason, field_name="reason")
    view = request_by_reference(uow, reference, today=services.clock.today())
    return close_request(
        uow,
        services,
        reference=reference,
        status="refused",
        outcome={"reason": reason},
        actor=actor,
        lang=language_of(view),
    )


def carry_out_erasure(
    uow: UnitOfWork,
    services: AccountServices,
    *,
    reference: str,
    actor: str,
) -> tuple[RequestView, ErasureResult]:
    """Erase the person of an erasure request filed by e-mail link, then close it completed.

    The outcome is the erasure's result (:meth:`ErasureResult.as_json`): what went, what a
    legal duty keeps, why and until when. The person is e-mailed the same, in their language,
    with the words of their own pages (:mod:`gardien.services.erasure_mail`) and the
    request's follow-up page. The erasure and the closing are two transactions (each use
    case commits its own); the e-mail is queued with the closing. If the closing fails, the
    erasure stands, and running it again erases nothing more, so the DPO may simply retry.
    """
    view = request_by_reference(uow, reference, today=services.clock.today())
    if view.closed:
        raise RequestStateError("this request is already closed")
    if not can_erase_here(view):
        raise RequestStateError("only an erasure request filed without an account is run here")
    result = erase_subject(
        view.email,
        uow=uow,
        policy=services.policy,
        clock=services.clock,
        lookup=services.lookup,
        actor=actor,
        blobs=services.blobs,
        ledger=services.ledger,
    )
    outcome = result.as_json()
    outcome.pop("subject", None)  # the request row names the person already
    lang = language_of(view)
    with uow:
        row = open_request_row(uow.connection, reference)
        # The e-mail below says what was done: no second "request answered" message.
        closed = close_row(
            uow.connection,
            services,
            row,
            status="completed",
            outcome=outcome,
            actor=actor,
            notify=False,
        )
        queue_erasure_mail(
            uow.connection,
            services,
            result=result,
            reference=row.reference,
            lang=lang,
            address=row.email,
            follow=follow_url(services, lang, row.id, row.email),
        )
        uow.commit()
    return closed, result


def can_object_here(view: RequestView) -> bool:
    """True for an open objection filed without an account, which the console carries out."""
    return not view.closed and view.kind == "objection" and view.identity_check == "email_link"


def carry_out_objection(
    uow: UnitOfWork, services: AccountServices, *, reference: str, actor: str
) -> RequestView:
    """Stop commercial communication to the request's address and close it, in one go."""
    view = request_by_reference(uow, reference, today=services.clock.today())
    if not can_object_here(view):
        raise RequestStateError("only an open objection filed without an account is run here")
    return object_to_commercial(
        uow, services, actor=actor, reference=reference, lang=language_of(view)
    )


# -- the contact messages ----------------------------------------------------------------------


def view_messages(
    uow: UnitOfWork,
    *,
    actor: str,
    now: datetime,
    limit: int = MESSAGES,
    answered: bool | None = None,
) -> list[ContactMessage]:
    """The latest contact messages, newest first, only the (un)answered ones if asked.

    The reading is audited (count only). Answering: :mod:`.website.contact_replies`.
    """
    with uow:
        messages = list_messages(uow.connection, limit=limit, answered=answered)
        append_audit(
            uow.connection,
            action=MESSAGES_VIEWED,
            actor=actor,
            details={"count": len(messages)},
            recorded_at=now,
        )
        uow.commit()
    return messages

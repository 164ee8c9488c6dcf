"""Purges as runs (services/purges.py), on SQLite and PostgreSQL: what ``gardien sweep`` and a
console purge record in the audit log, how a run's state is read back from it, and when a
nightly job counts as late."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from gardien.cli.main import main
from gardien.domain.clock import FixedClock
from gardien.services import audit, purges
from gardien.store.audit import append_audit
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import audit_entry, learner
from gardien.store.uow import UnitOfWork
from tests.support.purges import job
from tests.support.retention_samples import document, learner_doc, load

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def _load(engine: Engine) -> None:
    load(
        engine,
        document(
            learners=[
                learner_doc("vieux.un@example.org", "Un", "Vieux", "2024-01-10T09:00:00Z"),
                learner_doc("vieux.deux@example.org", "Deux", "Vieux", "2024-02-10T09:00:00Z"),
                learner_doc("jeune@example.org", "Jeune", "Actif", "2026-05-10T09:00:00Z"),
            ]
        ),
    )


def _entries(engine: Engine, action: str) -> list[dict[str, object]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(audit_entry).where(audit_entry.c.action == action).order_by(audit_entry.c.id)
        ).all()
    return [dict(row._mapping) for row in rows]


def test_a_console_purge_is_one_run_read_back_from_the_log(engine: Engine) -> None:
    _load(engine)
    purge = job(engine, NOW)
    expected = purges.preview(purge)
    assert {r.rule: r.expired for r in expected.rules}["learner_data"] == 2
    run = purges.start(purge, actor="dpo:7", expected=expected)

    status = purges.run_status(UnitOfWork(engine), run, now=NOW)
    assert status is not None
    assert (status.state, status.expected["learner_data"], status.done_total) == ("running", 2, 0)
    assert purges.running(UnitOfWork(engine), now=NOW) == status

    report = purges.purge(purge, actor="dpo:7", run=run, batch_size=1)
    assert {r.rule: r.expired for r in report.sweep.rules}["learner_data"] == 2
    status = purges.run_status(UnitOfWork(engine), run, now=NOW)
    assert status is not None and status.state == "done"
    assert status.done["learner_data"] == 2 and status.done_total == 2
    assert status.seconds is not None and status.seconds >= 0
    assert purges.running(UnitOfWork(engine), now=NOW) is None
    with engine.connect() as connection:
        assert list(connection.execute(select(learner.c.email)).scalars()) == ["jeune@example.org"]

    batches = [e for e in _entries(engine, "sweep.batch") if e["details"]["rule"] == "learner_data"]
    assert len(batches) == 2  # one learner per batch
    assert all(e["actor"] == "dpo:7" and e["details"]["run"] == run for e in batches)
    [finished] = _entries(engine, "sweep.run")
    assert finished["details"]["run"] == run and finished["actor"] == "dpo:7"
    assert audit.verify(UnitOfWork(engine)).ok


def test_a_run_that_failed_or_stopped_says_so(engine: Engine) -> None:
    purge = job(engine, NOW)
    failed = purges.start(purge, actor="dpo:7", expected=purges.preview(purge))
    purges.record_failure(purge, actor="dpo:7", run=failed, error=RuntimeError("boom"))
    status = purges.run_status(UnitOfWork(engine), failed, now=NOW)
    assert status is not None and status.state == "failed"
    [entry] = _entries(engine, "sweep.failed")
    assert entry["details"] == {"run": failed, "error": "RuntimeError"}

    stopped = purges.start(purge, actor="dpo:7", expected=purges.preview(purge))
    later = NOW + purges.STALLED_AFTER + timedelta(seconds=1)
    status = purges.run_status(UnitOfWork(engine), stopped, now=later)
    assert status is not None and status.state == "stalled"
    assert purges.running(UnitOfWork(engine), now=later) is None
    assert purges.running(UnitOfWork(engine), now=NOW) is not None
    # An entry that is not a run's start names no run.
    assert purges.run_status(UnitOfWork(engine), failed + 1, now=NOW) is None
    assert purges.run_status(UnitOfWork(engine), 10_000, now=NOW) is None


def test_gardien_sweep_records_each_run_even_when_nothing_expired(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert purges.schedule(engine, now=NOW).sweep == purges.Job("sweep", None, True)
    argv = ["--database-url", database_url, "sweep", "--as-of", NOW.isoformat(), "--json"]
    assert main(argv) == 0
    assert all(rule["expired"] == 0 for rule in json.loads(capsys.readouterr().out)["rules"])
    [entry] = _entries(engine, "sweep.run")
    assert entry["actor"] == "sweep" and entry["details"]["run"] is None
    assert entry["details"]["as_of"] == NOW.date().isoformat()
    assert entry["recorded_at"] == NOW

    # A dry run records nothing.
    assert main([*argv, "--dry-run"]) == 0
    assert len(_entries(engine, "sweep.run")) == 1


def _recorded(engine: Engine, action: str, at: datetime) -> None:
    with UnitOfWork(engine, write=True) as uow:
        append_audit(uow.connection, action=action, actor="test", details={}, recorded_at=at)
        uow.commit()


def test_a_nightly_job_is_late_past_26_hours(engine: Engine) -> None:
    schedule = purges.schedule(engine, now=NOW)
    assert schedule.late and schedule.sweep.late and schedule.audit.late

    _recorded(engine, purges.FINISHED, NOW - timedelta(hours=26))
    report = audit.report(UnitOfWork(engine))
    audit.record_verification(UnitOfWork(engine, write=True), report, clock=FixedClock(NOW))
    schedule = purges.schedule(engine, now=NOW)
    assert schedule.sweep == purges.Job("sweep", NOW - timedelta(hours=26), False)
    assert schedule.audit == purges.Job("audit", NOW, False)
    assert not schedule.late

    a_minute_later = NOW + timedelta(minutes=1)
    schedule = purges.schedule(engine, now=a_minute_later)
    assert schedule.sweep.late and not schedule.audit.late and schedule.late
    assert purges.schedule(engine, now=NOW + timedelta(hours=26, seconds=1)).audit.late


def test_a_preview_changes_nothing(engine: Engine) -> None:
    _load(engine)
    with engine.connect() as connection:
        before = connection.execute(select(learner.c.id).order_by(learner.c.id)).all()
    purges.preview(job(engine, NOW))
    with engine.connect() as connection:
        assert connection.execute(select(learner.c.id).order_by(learner.c.id)).all() == before
        assert connection.execute(select(audit_entry.c.id)).all() == []


def test_the_console_reads_the_log_through_an_index(tmp_path: Path) -> None:
    # The console asks on every visit for the last entry of a kind, and the log holds years of
    # entries: no statement may scan it (SQLite's plan for each one the console ran).
    engine = make_engine(f"sqlite:///{tmp_path / 'plans.sqlite3'}")
    try:
        upgrade(engine)
        purge = job(engine, NOW)
        run = purges.start(purge, actor="dpo:7", expected=purges.preview(purge))
        executed: list[tuple[str, Any]] = []

        def remember(
            _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool
        ) -> None:
            executed.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", remember)
        try:
            purges.schedule(engine, now=NOW)
            purges.running(UnitOfWork(engine), now=NOW)
            purges.run_status(UnitOfWork(engine), run, now=NOW)
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        reads = [(sql, p) for sql, p in executed if sql.lstrip().upper().startswith("SELECT")]
        assert len(reads) >= 5
        scans = set()
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert raw is not None
            for sql, params in reads:
                for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params or ()):
                    if str(row[-1]).startswith("SCAN "):
                        scans.add(f"{row[-1]}  <-  {' '.join(sql.split())[:120]}")
        assert not scans, "\n".join(sorted(scans))
    finally:
        engine.dispose()

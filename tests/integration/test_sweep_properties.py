"""The sweep's properties: set-based and bounded, idempotent, honest in a dry run, crash-safe
(SIGKILL mid-sweep), and safe under concurrency (two sweeps at once, the web app meanwhile).

No test asserts a wall-clock time; the concurrency test prints the longest wait it measured.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, insert, select, text, update

from gardien.cli.main import main
from gardien.services.sweep import SweepReport
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import commercial_contact, contact_message, learner, opco_dossier
from tests.support.import_samples import dump_tables
from tests.support.retention_samples import (
    EVERYTHING_AS_OF,
    EVERYTHING_EXPIRED,
    audit_batches,
    cohort,
    default_policy,
    footprints,
    instant,
    load,
    load_everything,
    merge,
    orphans,
    outbox,
    rule,
    run_sweep,
    verify,
)
from tests.support.threads import run_together

AS_OF = date(2026, 3, 1)
EXPIRED = "2024-06-30T10:00:00Z"  # kept through 30 Dec 2025
ACTIVE = "2026-01-15T10:00:00Z"  # kept through 15 Jul 2027
RECENT_END = "2025-06-30"  # a contract whose commercial period runs past AS_OF


def expired_and_active(expired: int, active: int, **options: Any) -> dict[str, Any]:
    """A cohort of expired learners ("gone-*") and one of active learners ("kept-*")."""
    return merge(
        cohort("gone", expired, last_activity=EXPIRED, **options),
        cohort("kept", active, last_activity=ACTIVE),
    )


def pseudonyms(engine: Engine, prefix: str) -> set[str]:
    with engine.connect() as connection:
        query = select(learner.c.pseudonym).where(learner.c.email.like(f"{prefix}-%"))
        return set(connection.execute(query).scalars())


def counted(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as connection:
        query = select(func.count()).select_from(table).where(*where)
        return int(connection.execute(query).scalar_one())


@contextmanager
def counting(engine: Engine, event_name: str) -> Iterator[list[int]]:
    """Count the engine's ``commit`` or ``before_cursor_execute`` events meanwhile."""
    seen = [0]

    def listener(*_args: Any) -> None:
        seen[0] += 1

    event.listen(engine, event_name, listener)
    try:
        yield seen
    finally:
        event.remove(engine, event_name, listener)


# -- set-based and bounded ----------------------------------------------------------------------


def test_expired_learners_go_in_bounded_batches_one_transaction_each(engine: Engine) -> None:
    load(engine, expired_and_active(30, 10))
    gone = pseudonyms(engine, "gone")

    with counting(engine, "commit") as commits:
        report = run_sweep(engine, AS_OF, batch_size=7)

    assert rule(report, "learner_data").expired == 30
    assert rule(report, "learner_data").batches == 5
    assert sum(r.batches for r in report.rules) == 5
    assert commits == [5]  # one transaction per batch, and nothing else committed
    batches = audit_batches(engine)
    assert [b["rule"] for b in batches] == ["learner_data"] * 5
    assert [b["records"] for b in batches] == [7, 7, 7, 7, 2]
    for batch in batches:
        assert len(batch["subjects"]) == batch["records"] <= 7
        assert batch["as_of"] == AS_OF.isoformat()
    named = [subject for batch in batches for subject in batch["subjects"]]
    assert sorted(named) == sorted(gone)  # each expired learner in exactly one batch
    assert pseudonyms(engine, "gone") == set()
    assert len(pseudonyms(engine, "kept")) == 10
    assert verify(engine).ok


def test_a_time_budget_starts_with_small_batches_and_grows_them(engine: Engine) -> None:
    # gardien sweep's default: batches sized to a time budget. With a budget no batch of this
    # size comes near, each batch is twice the one before, from 100 up to the maximum.
    load(engine, expired_and_active(1000, 10))
    report = run_sweep(engine, AS_OF, batch_size=300, batch_seconds=30.0)

    assert rule(report, "learner_data").expired == 1000
    assert [b["records"] for b in audit_batches(engine, "learner_data")] == [
        100,
        200,
        300,
        300,
        100,
    ]
    assert pseudonyms(engine, "gone") == set()
    assert len(pseudonyms(engine, "kept")) == 10
    assert verify(engine).ok


def test_a_batch_runs_the_same_statements_whatever_it_holds(engine: Engine) -> None:
    # Set-based: erasing 40 learners in one batch takes as many statements as erasing 10.
    # (A first sweep warms up what happens once: the engine's first connection, the audit
    # chain's head.)
    statements: list[int] = []
    for prefix, expired in (("warm", 10), ("ten", 10), ("forty", 40)):
        load(engine, cohort(prefix, expired, last_activity=EXPIRED, statements_each=4))
        with counting(engine, "before_cursor_execute") as seen:
            report = run_sweep(engine, AS_OF, batch_size=100)
        assert rule(report, "learner_data").expired == expired
        assert rule(report, "learner_data").batches == 1
        statements.append(seen[0])
    assert statements[1] == statements[2]


# SQLite's plans do not depend on statistics; PostgreSQL rightly scans a test-sized table, so
# its plans would say nothing about a large one.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_statement_of_a_sweep_reads_a_whole_table(engine: Engine) -> None:
    # The cost follows the expired rows only if every statement reaches rows through an index:
    # a full scan of a table costs what the table holds.
    load_everything(engine)
    executed: list[tuple[str, Any]] = []

    def remember(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool
    ) -> None:
        # An executemany runs one plan for every set of parameters: explain it with the first.
        executed.append((statement, parameters[0] if many and parameters else parameters))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        run_sweep(engine, EVERYTHING_AS_OF)
    finally:
        event.remove(engine, "before_cursor_execute", remember)

    reads = [
        (sql, params)
        for sql, params in executed
        if sql.lstrip()
        .upper()
        .startswith(("SELECT", "DELETE", "UPDATE", "INSERT INTO ACTIVITY_COUNT", "WITH"))
    ]
    assert len(reads) > 20
    scans: set[str] = set()
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        for sql, params in reads:
            for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params or ()):
                detail = str(row[-1])
                # "SCAN json_each" or a constant list is not a table; a covering-index scan is.
                if detail.startswith("SCAN ") and "json_each" not in detail:
                    scans.add(f"{detail}  <-  {' '.join(sql.split())[:120]}")
    assert not scans, "\n".join(sorted(scans))


# -- idempotence, dry run, JSON report ----------------------------------------------------------


def test_a_second_sweep_right_after_a_complete_one_changes_nothing(engine: Engine) -> None:
    load_everything(engine)
    first = run_sweep(engine, EVERYTHING_AS_OF)
    assert {r.rule: r.expired for r in first.rules} == EVERYTHING_EXPIRED
    done = dump_tables(engine)

    second = run_sweep(engine, EVERYTHING_AS_OF)

    assert dump_tables(engine) == done
    assert [(r.rule, r.expired, r.batches, dict(r.rows)) for r in second.rules] == [
        (r.rule, 0, 0, {}) for r in first.rules
    ]
    assert verify(engine).ok


def test_a_dry_run_changes_nothing_and_counts_what_the_sweep_then_does(engine: Engine) -> None:
    load_everything(engine)
    before = dump_tables(engine)

    dry = run_sweep(engine, EVERYTHING_AS_OF, dry_run=True)

    assert dry.dry_run
    assert dump_tables(engine) == before
    assert {r.rule: r.expired for r in dry.rules} == EVERYTHING_EXPIRED
    real = run_sweep(engine, EVERYTHING_AS_OF)
    assert {r.rule: r.expired for r in real.rules} == {r.rule: r.expired for r in dry.rules}


def test_a_dry_run_counts_rows_that_another_rule_removes_first_only_once(engine: Engine) -> None:
    # An expired learner with an e-mail queued for him long ago and a contact-form message he
    # sent even longer ago (neither swept since): their own rules and the learner rule all
    # select them. The learner rule runs first and takes them.
    load(engine, expired_and_active(1, 0))
    with engine.begin() as connection:
        (learner_id, email) = connection.execute(select(learner.c.id, learner.c.email)).one()
        outbox(connection, "old-confirmation", email, learner_id, "2025-06-01T06:00:00Z")
        sent = datetime(2023, 1, 5, 9, tzinfo=UTC)
        connection.execute(
            insert(contact_message).values(
                name="Gone", email=email, message="?", received_at=sent, last_exchange_at=sent
            )
        )

    dry = run_sweep(engine, AS_OF, dry_run=True)
    real = run_sweep(engine, AS_OF)

    assert rule(real, "learner_data").rows["outbox_message"] == 1
    assert rule(real, "learner_data").rows["contact_message"] == 1
    assert rule(real, "outbox").expired == 0
    assert rule(real, "contact_messages").expired == 0
    assert {r.rule: r.expired for r in dry.rules} == {r.rule: r.expired for r in real.rules}


def test_the_json_report_has_per_rule_counts(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    load_everything(engine)
    argv = ["--database-url", database_url, "sweep", "--as-of", EVERYTHING_AS_OF.isoformat()]

    assert main([*argv, "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert main([*argv, "--json", "--batch-size", "5"]) == 0
    real = json.loads(capsys.readouterr().out)

    assert (dry["as_of"], dry["dry_run"], real["dry_run"]) == ("2026-03-01", True, False)
    assert [r["rule"] for r in real["rules"]] == list(default_policy().retention)
    assert {r["rule"]: r["expired"] for r in dry["rules"]} == EVERYTHING_EXPIRED
    assert {r["rule"]: r["expired"] for r in real["rules"]} == EVERYTHING_EXPIRED
    by_rule = {r["rule"]: r for r in real["rules"]}
    assert by_rule["learner_data"]["batches"] == 3  # 12 learners, 5 at a time
    assert by_rule["learner_data"]["rows"]["learner"] == 12
    assert by_rule["learner_data"]["rows"]["commercial_contact"] == 3
    assert by_rule["learner_data"]["expired_if_clock_before"] == "2024-09-01"
    assert by_rule["sponsors"]["rows"] == {"sponsor (anonymised)": 2}
    assert by_rule["audit_log"]["rows"] == {"audit_entry": 2}
    for name, expired in EVERYTHING_EXPIRED.items():
        assert by_rule[name]["expired"] == expired
        assert sum(by_rule[name]["rows"].values()) >= expired
    assert main([*argv, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert all(r["expired"] == 0 and r["rows"] == {} for r in again["rules"])


# -- a SIGKILL during a sweep -------------------------------------------------------------------

CRASH_EXPIRED = 2000
CRASH_ACTIVE = 100


@dataclass
class Snapshot:
    """What the crash test needs to know of the data before any sweep."""

    footprints: dict[int, dict[str, int]]
    expired_ids: set[int]
    emails: dict[int, str]
    commercial: set[str]  # e-mails of expired learners whose commercial period runs
    opco_owner: dict[str, int]  # agreement reference -> learner id


def crash_dataset(path: Path) -> Snapshot:
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        load(
            engine,
            expired_and_active(
                CRASH_EXPIRED,
                CRASH_ACTIVE,
                statements_each=5,
                recent_every=4,
                recent_contract_end=RECENT_END,
            ),
        )
        with engine.connect() as connection:
            emails = dict(connection.execute(select(learner.c.id, learner.c.email)).all())
            owners = dict(
                connection.execute(
                    select(opco_dossier.c.agreement_reference, opco_dossier.c.learner_id)
                ).all()
            )
        expired = {i for i, email in emails.items() if email.startswith("gone-")}
        return Snapshot(
            footprints=footprints(engine),
            expired_ids=expired,
            emails=emails,
            commercial={emails[i] for i in expired if int(emails[i][5:10]) % 4 == 0},
            opco_owner=owners,
        )
    finally:
        engine.dispose()


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy, WAL included, through SQLite's backup API."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def start_sweep(path: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GARDIEN_")}
    argv = [sys.executable, "-m", "gardien", "--database-url", f"sqlite:///{path}", "sweep"]
    argv += ["--as-of", AS_OF.isoformat(), "--batch-size", "50", *extra]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def learners_left(path: Path) -> int:
    connection = sqlite3.connect(path, timeout=30)
    try:
        return int(connection.execute("SELECT count(*) FROM learner").fetchone()[0])
    finally:
        connection.close()


def kill_after(process: subprocess.Popen[bytes], path: Path, moment: float | str) -> None:
    """SIGKILL the sweep after ``moment`` seconds, or ("first batch") as soon as a batch has
    committed, or ("some batches") once about a third of the work is committed."""
    total = CRASH_EXPIRED + CRASH_ACTIVE
    if isinstance(moment, float):
        time.sleep(moment)
    else:
        target = total - (1 if moment == "first batch" else CRASH_EXPIRED // 3)
        deadline = time.monotonic() + 60
        while learners_left(path) > target and process.poll() is None:
            assert time.monotonic() < deadline, "the sweep never committed a batch"
            time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)


def check_consistency(path: Path, before: Snapshot) -> int:
    """No half-erased learner, a sound audit chain; returns how many expired learners are gone."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        now = footprints(engine)
        gone = before.expired_ids - set(now)
        # Whoever remains has every row they had; whoever is gone has none left anywhere.
        for learner_id, rows in now.items():
            assert rows == before.footprints[learner_id], f"learner {learner_id} half erased"
        assert set(now) >= set(before.footprints) - before.expired_ids
        assert orphans(engine) == {}
        with engine.connect() as connection:
            owners = dict(
                connection.execute(
                    select(opco_dossier.c.agreement_reference, opco_dossier.c.learner_id)
                ).all()
            )
            kept = set(connection.execute(select(commercial_contact.c.email)).scalars())
        assert set(owners) == set(before.opco_owner)  # detached, never deleted
        for reference, owner in before.opco_owner.items():
            assert owners[reference] == (None if owner in gone else owner)
        assert kept == {before.emails[i] for i in gone} & before.commercial
        # The audit log tells exactly what was done.
        assert verify(engine).ok
        batches = audit_batches(engine, "learner_data")
        assert sum(b["records"] for b in batches) == len(gone)
        assert len({s for b in batches for s in b["subjects"]}) == len(gone)
        assert all(b["records"] <= 50 for b in batches)
        return len(gone)
    finally:
        engine.dispose()


def test_a_sigkill_during_a_sweep_leaves_no_half_erased_learner(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pristine = tmp_path / "pristine.sqlite3"
    before = crash_dataset(pristine)
    moments: list[float | str] = [0.2, 0.5, 1.0, 1.3, "first batch", "some batches"]
    observed: list[tuple[float | str, int]] = []
    interrupted: Path | None = None
    interrupted_gone = 0
    attempt = 0
    while interrupted is None or attempt < len(moments):
        assert attempt < 12, f"no kill landed in the middle of a sweep: {observed}"
        moment = moments[attempt] if attempt < len(moments) else "first batch"
        path = tmp_path / f"attempt-{attempt}.sqlite3"
        copy_database(pristine, path)
        kill_after(start_sweep(path), path, moment)
        gone = check_consistency(path, before)
        observed.append((moment, gone))
        if 0 < gone < CRASH_EXPIRED and interrupted is None:
            interrupted, interrupted_gone = path, gone
        attempt += 1

    # A rerun finishes the work; a further run finds nothing.
    assert interrupted is not None
    finish = start_sweep(interrupted, "--json")
    out, err = finish.communicate(timeout=300)
    assert finish.returncode == 0, err.decode()
    rest = {r["rule"]: r["expired"] for r in json.loads(out)["rules"]}
    assert rest["learner_data"] == CRASH_EXPIRED - interrupted_gone
    assert check_consistency(interrupted, before) == CRASH_EXPIRED
    assert learners_left(interrupted) == CRASH_ACTIVE
    again = start_sweep(interrupted, "--json")
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err.decode()
    assert all(r["expired"] == 0 for r in json.loads(out)["rules"])
    assert check_consistency(interrupted, before) == CRASH_EXPIRED
    with capsys.disabled():
        sys.stdout.write(f"\ncrash test, (kill moment, expired learners gone): {observed}\n")


# -- concurrency --------------------------------------------------------------------------------


def test_two_sweeps_at_once_share_the_work(
    database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    # On PostgreSQL the batches skip each other's locked rows; SQLite serialises the batches
    # (BEGIN IMMEDIATE). Either way nothing is done twice and nothing fails.
    load(engine, expired_and_active(500, 20, recent_every=4, recent_contract_end=RECENT_END))
    before = footprints(engine)
    gone = pseudonyms(engine, "gone")
    engines = [make_engine(database_url), make_engine(database_url)]
    reports: list[SweepReport] = []

    def sweeping(sweeper: Engine) -> Callable[[], None]:
        return lambda: reports.append(run_sweep(sweeper, AS_OF, batch_size=20))

    try:
        run_together(*(sweeping(e) for e in engines))
    finally:
        for e in engines:
            e.dispose()

    shares = [rule(report, "learner_data").expired for report in reports]
    assert len(shares) == 2
    assert sum(shares) == 500
    batches = audit_batches(engine, "learner_data")
    assert len(batches) == sum(rule(report, "learner_data").batches for report in reports)
    named = [subject for batch in batches for subject in batch["subjects"]]
    assert sorted(named) == sorted(gone)  # no learner processed twice
    assert pseudonyms(engine, "gone") == set()
    after = footprints(engine)
    assert after == {i: rows for i, rows in before.items() if i in after}
    assert len(after) == 20
    assert orphans(engine) == {}
    assert counted(engine, commercial_contact) == 125
    assert verify(engine).ok
    with capsys.disabled():
        sys.stdout.write(f"\n[{engine.dialect.name}] two sweeps at once, learners each: {shares}\n")


def test_the_web_app_is_never_blocked_longer_than_a_batch(
    database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    # The web app keeps writing while a sweep runs: a learner signs in again and again, each
    # time in a short transaction (on PostgreSQL with a lock timeout of a few seconds). No
    # write may fail. How long they waited is printed, not asserted (wall-clock times vary).
    load(engine, expired_and_active(1000, 5))
    with engine.connect() as connection:
        active = connection.execute(
            select(func.min(learner.c.id)).where(learner.c.email.like("kept-%"))
        ).scalar_one()
    sweeper = make_engine(database_url)
    batch_ends: list[float] = []  # the start of the learners' first batch, then each end
    spans: list[tuple[float, float]] = []
    done = threading.Event()
    reports: list[SweepReport] = []

    def batch_done(rule_id: str, done: int, total: int) -> None:
        if rule_id == "learner_data":
            batch_ends.append(time.perf_counter())

    def sweep_job() -> None:
        try:
            reports.append(
                run_sweep(
                    sweeper,
                    AS_OF,
                    batch_size=20,
                    progress=batch_done,
                )
            )
        finally:
            done.set()

    signed_in = instant("2026-02-01T00:00:00Z")
    thread = threading.Thread(target=sweep_job)
    thread.start()
    try:
        while not done.is_set():
            signed_in += timedelta(seconds=1)
            start = time.perf_counter()
            with engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SET LOCAL lock_timeout = '5s'"))
                connection.execute(
                    update(learner).where(learner.c.id == active).values(last_activity_at=signed_in)
                )
            spans.append((start, time.perf_counter()))
    finally:
        thread.join(timeout=600)
        sweeper.dispose()

    assert len(reports) == 1, "the sweep failed"
    assert rule(reports[0], "learner_data").expired == 1000
    assert spans, "no write ran during the sweep"
    with engine.connect() as connection:
        last = connection.execute(
            select(learner.c.last_activity_at).where(learner.c.id == active)
        ).scalar_one()
    assert last == signed_in  # every write committed
    assert len(pseudonyms(engine, "kept")) == 5
    assert verify(engine).ok
    longest_wait = max(end - start for start, end in spans)
    longest_batch = max(b - a for a, b in pairwise(batch_ends))
    # How many batches committed while one write waited: 1 means it waited for one batch.
    overtaken = max(sum(start < t < end for t in batch_ends) for start, end in spans)
    with capsys.disabled():
        sys.stdout.write(
            f"\n[{engine.dialect.name}] {len(spans)} web writes during the sweep of"
            f" {len(batch_ends) - 1} batches: max wait {longest_wait * 1000:.1f} ms,"
            f" longest batch {longest_batch * 1000:.1f} ms,"
            f" at most {overtaken} batch(es) committed during one write\n"
        )

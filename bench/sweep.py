"""Benchmark of ``gardien sweep`` on SQLite, against raw SQL deleting the same rows.

    python bench/sweep.py [--learners 1000000] [--statements 10] [--expired-fraction 0.1]
                          [--batch-size 20000] [--batch-seconds 0.5] [--as-of 2025-06-30]
                          [--scale-base N] [--skip-scale]
                          [--layout chronological|random]
                          [--skip-batched-raw] [--repeat 1] [--seed 1] [--workdir DIR]
                          [--smoke]

1. Generates N learners with their account, K xAPI statements and one enrolment each into a
   fresh, migrated SQLite file (plain ``sqlite3`` ``executemany``, fixed seed); a fraction of
   them expired (last activity 19 to 36 months before the as-of date), the rest active within
   16 months.
2. Times each phase below on its own fresh copy of that file, so all start from identical
   data (with ``--repeat R``, R rounds of fresh copies; the medians are used).
3. Times the real sweep (default policy, a clock fixed at the as-of date, audit log included,
   batches sized as ``gardien sweep`` sizes them: about ``--batch-seconds`` each, at most
   ``--batch-size`` records; ``--batch-seconds 0`` for fixed batches of ``--batch-size``),
   and one transaction of hand-written ``DELETE ... WHERE learner_id IN (SELECT id FROM
   learner WHERE last_activity_at < ?)`` (no audit; every table that hangs on a learner, the
   same statements as the sweep's). Checks that both end with the same rows
   in every table but the audit's (exit status 1 if not), and prints rows, seconds and rows/s
   of both and the ratio of their throughputs (target >= 0.7).
   Unless ``--skip-batched-raw``, the same raw SQL also runs in batches of the sizes the
   sweep's first run chose, in the same order, one transaction each: the ratio of the sweep to
   that is what gardien's own code costs, the rest is what committing in bounded batches costs
   SQLite.
4. Scale check: the same expired learners among the unexpired ones of a base of
   ``--scale-base`` learners (default a tenth of ``--learners``), then among ten times as
   many unexpired ones, swept each time (and deleted by raw SQL on a copy, to show what
   SQLite itself pays for the larger files); prints both sweep times and the change (target
   < 20 %).

Each timed phase starts after ``os.sync()`` with its file read once (in the OS page cache, as a
running server's database would be) and ends once its connections are closed (their last
checkpoint included). It prints figures and asserts nothing about time (CONVENTIONS 9).
``--smoke``: 2,000 learners with 3 statements each, in a few seconds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from _common import (
    SchemaDrift,
    Shape,
    Timer,
    connect,
    copy_database,
    figure,
    generate,
    parse_args,
    remove_database,
    snapshot,
    warm,
)
from gardien.domain.clock import FixedClock
from gardien.domain.lookup import SubjectLookup
from gardien.domain.retention import expiry_threshold
from gardien.policy import Policy, load_policy
from gardien.services.sweep import CLI_BATCH_SECONDS, CLI_MAX_BATCH, SweepReport, sweep
from gardien.store.catalogue import record_catalogue
from gardien.store.engine import make_engine
from gardien.store.tables import learner, metadata

# The keyed lookups written on what outlives an expired learner (docs/subject-lookup.md).
LOOKUP = SubjectLookup("bench-sweep-secret")

# What the learner rule erases, children first, as the raw baseline deletes it.
LEARNER_CHILDREN = (
    "activity_statement",
    "xapi_document",
    "enrolment",
    "contract_learner",
    "cpf_dossier",
    "outbox_message",
)
# Tables hanging on a learner that the raw baseline treats apart: detached, or deleted after
# their own children.
LEARNER_OTHERS = ("opco_dossier", "account")
AUDIT_TABLES = ("audit_entry", "audit_head")


def check_raw_baseline() -> None:
    """Stop if the schema has a table hanging on ``learner`` that the raw SQL does not touch.

    Such a table would keep rows the sweep deletes (or the deletion of the learner would fail),
    and the comparison would no longer be of the same work.
    """
    hanging = {
        table.name
        for table in metadata.tables.values()
        for key in table.foreign_keys
        if key.column.table is learner
    }
    unknown = hanging - set(LEARNER_CHILDREN) - set(LEARNER_OTHERS)
    if unknown:
        raise SchemaDrift(
            f"bench/sweep.py's raw SQL does not delete {sorted(unknown)}, which hang on learner"
        )


def removed_rows(report: SweepReport) -> Counter[str]:
    """Rows deleted per table (updates such as ``opco_dossier (detached)`` left out)."""
    rows: Counter[str] = Counter()
    for rule in report.rules:
        rows.update({name: n for name, n in rule.rows.items() if "(" not in name})
    return rows


@dataclass
class SweepRun:
    """One timed sweep: seconds, rows deleted per table, the longest time between two batches.

    That time is an upper bound of how long the sweep holds the write lock: it also holds the
    pause after a batch and any WAL checkpoint, which run once the lock is released.
    """

    seconds: float
    rows: Counter[str]
    batches: int
    longest_batch: float
    learner_batches: list[int]  # the learner rule's batch sizes, in order


def run_sweep(path: Path, *, policy: Policy, as_of: date, options: argparse.Namespace) -> SweepRun:
    """Time the real sweep on ``path``."""
    engine = make_engine(f"sqlite:///{path}")
    clock = FixedClock.on(as_of)
    marks: list[tuple[str, float, int]] = []

    def progress(rule: str, done: int, _total: int) -> None:
        # Called before a rule's first batch and after each batch: the gaps are batch times.
        marks.append((rule, time.perf_counter(), done))

    os.sync()
    warm(path)
    with Timer() as timer:
        report = sweep(
            engine,
            policy=policy,
            clock=clock,
            lookup=LOOKUP,
            batch_size=options.batch_size,
            batch_seconds=options.batch_seconds or None,
            progress=progress,
        )
        engine.dispose()
    pairs = [(a, b) for a, b in itertools.pairwise(marks) if a[0] == b[0]]
    batches = [b[1] - a[1] for a, b in pairs]
    learners = [b[2] - a[2] for a, b in pairs if a[0] == "learner_data"]
    return SweepRun(
        timer.seconds, removed_rows(report), len(batches), max(batches, default=0), learners
    )


def learner_threshold(policy: Policy, as_of: date) -> str:
    """The learner rule's threshold as gardien binds it on SQLite (midnight UTC, as text)."""
    months = next(rule.months for rule in policy.retention.values() if rule.record == "learner")
    return f"{expiry_threshold(as_of, months).isoformat()} 00:00:00.000000"


def _delete_learners(connection: sqlite3.Connection, ids: str, params: tuple[str]) -> Counter[str]:
    """The learner rule's deletions, by hand, for the learners whose id is in ``ids`` (SQL)."""
    rows: Counter[str] = Counter()
    rows["module_progress"] = connection.execute(
        "DELETE FROM module_progress WHERE enrolment_id IN"
        f" (SELECT id FROM enrolment WHERE learner_id IN ({ids}))",
        params,
    ).rowcount
    for table in LEARNER_CHILDREN:
        rows[table] = connection.execute(
            f"DELETE FROM {table} WHERE learner_id IN ({ids})", params
        ).rowcount
    rows["contact_message"] = connection.execute(
        "DELETE FROM contact_message WHERE email IN"
        f" (SELECT email FROM learner WHERE id IN ({ids}))",
        params,
    ).rowcount
    connection.execute(
        f"UPDATE opco_dossier SET learner_id = NULL WHERE learner_id IN ({ids})", params
    )
    rows["web_session"] = connection.execute(
        "DELETE FROM web_session WHERE account_id IN"
        f" (SELECT id FROM account WHERE learner_id IN ({ids}))",
        params,
    ).rowcount
    rows["account"] = connection.execute(
        f"DELETE FROM account WHERE learner_id IN ({ids})", params
    ).rowcount
    rows["learner"] = connection.execute(
        f"DELETE FROM learner WHERE id IN ({ids})", params
    ).rowcount
    return rows


def run_raw(
    path: Path, *, threshold: str, batch_sizes: list[int] | None = None
) -> tuple[float, Counter[str]]:
    """Seconds of a hand-written deletion of the expired learners, and rows deleted per table.

    In one transaction, or with ``batch_sizes`` in batches of those many learners (oldest
    first, as the sweep takes them; the last size again until none is left), one transaction
    each: what batching costs SQLite by itself.
    """
    sizes = iter(batch_sizes or ())
    batch_size = next(sizes, None) if batch_sizes else None
    expired = "SELECT id FROM learner WHERE last_activity_at < ?"
    rows: Counter[str] = Counter()
    connection = connect(path)
    os.sync()
    warm(path)
    with Timer() as timer:
        if batch_size is None:
            connection.execute("BEGIN IMMEDIATE")
            rows = _delete_learners(connection, expired, (threshold,))
            connection.execute("COMMIT")
        while batch_size is not None:
            connection.execute("BEGIN IMMEDIATE")
            ids = [
                row[0]
                for row in connection.execute(
                    f"{expired} ORDER BY last_activity_at, id LIMIT ?", (threshold, batch_size)
                )
            ]
            if ids:
                rows += _delete_learners(
                    connection, "SELECT value FROM json_each(?)", (json.dumps(ids),)
                )
            connection.execute("COMMIT")
            if not ids:
                break
            batch_size = next(sizes, batch_size)
        connection.close()
    return timer.seconds, +rows


def _learner_batches(sweeps: list[SweepRun], options: argparse.Namespace) -> list[int]:
    """The sizes the raw SQL batches replay: the sweep's own (a first sweep runs if none did)."""
    if not sweeps:
        raise RuntimeError("the batched raw phase needs a sweep's batch sizes")
    return sweeps[0].learner_batches or [options.batch_size]


def same_rows(swept: dict[str, tuple[int, int]], raw: dict[str, tuple[int, int]]) -> bool:
    """Print whether both snapshots hold the same rows in every table but the audit's."""
    differ = [
        t for t in swept.keys() | raw.keys() if t not in AUDIT_TABLES and swept.get(t) != raw.get(t)
    ]
    if differ:
        for table in sorted(differ):
            print(f"  MISMATCH {table}: sweep {swept.get(table)} raw {raw.get(table)}")
        print(f"  check: FAILED, {len(differ)} table(s) differ")
        return False
    kept = {t: n for t, (n, _) in sorted(swept.items()) if n and t not in AUDIT_TABLES}
    print(
        f"  check: same rows (count and rowids) in all {len(swept) - len(AUDIT_TABLES)} tables"
        f" but the audit's; left {', '.join(f'{t} {n:,}' for t, n in kept.items())};"
        f" sweep audit entries: {swept.get('audit_entry', (0, 0))[0]}"
    )
    return True


def throughput(label: str, rows: int, seconds: float) -> None:
    print(f"{label:<28} {rows:>12,} rows {seconds:9.2f} s {rows / seconds:>12,.0f} rows/s")


def build(path: Path, shape: Shape, *, as_of: date, seed: int, copies: int) -> None:
    free = shutil.disk_usage(path.parent).free
    need = copies * shape.estimated_bytes()
    if need > free:
        sys.exit(
            f"{shape.describe()} needs about {need / 1e9:.1f} GB ({copies} copies),"
            f" {free / 1e9:.1f} GB free in {path.parent}: choose fewer learners"
        )
    with Timer() as timer:
        rows = generate(path, shape, as_of=as_of, seed=seed)
    size = path.stat().st_size
    print(
        f"generated {shape.describe()}: {rows:,} rows, {size / 1e9:.2f} GB,"
        f" in {timer.seconds:.1f} s ({rows / timer.seconds:,.0f} rows/s)"
    )


LABELS = {
    "sweep": "sweep (audit included)",
    "raw": "raw SQL, 1 transaction",
    "batched": "raw SQL, the sweep's batches",
}


def compare(
    workdir: Path, shape: Shape, options: argparse.Namespace, policy: Policy
) -> tuple[dict[str, float], bool]:
    """Generate, then time each phase on its own fresh copy; median seconds per phase, check.

    Phases: the sweep, the raw deletion in one transaction and (unless skipped) the raw
    deletion in batches. Each works on a fresh copy of the generated file, made the same way,
    one at a time: never more than two large files (here, never more than the page cache
    holds). With ``--repeat R`` there are R rounds, each starting with a different phase.
    """
    pristine, work = workdir / "generated.sqlite3", workdir / "work.sqlite3"
    build(pristine, shape, as_of=options.as_of, seed=options.seed, copies=2)
    threshold = learner_threshold(policy, options.as_of)
    phases = ["sweep", "raw"] if options.skip_batched_raw else ["sweep", "raw", "batched"]
    seconds: dict[str, list[float]] = {phase: [] for phase in phases}
    sweeps: list[SweepRun] = []
    copies: list[float] = []
    results: dict[str, tuple[Counter[str], dict[str, tuple[int, int]]]] = {}
    try:
        for round_ in range(options.repeat):
            shift = round_ % len(phases)
            for phase in phases[shift:] + phases[:shift]:
                with Timer() as timer:
                    copy_database(pristine, work)
                copies.append(timer.seconds)
                if phase == "sweep":
                    run = run_sweep(work, policy=policy, as_of=options.as_of, options=options)
                    sweeps.append(run)
                    took, deleted = run.seconds, run.rows
                else:
                    sizes = _learner_batches(sweeps, options) if phase == "batched" else None
                    took, deleted = run_raw(work, threshold=threshold, batch_sizes=sizes)
                seconds[phase].append(took)
                if round_ == 0:
                    results[phase] = (deleted, snapshot(work))
                remove_database(work)
    finally:
        remove_database(pristine)
        remove_database(work)
    print(f"{len(copies)} copies of the generated file, {statistics.mean(copies):.1f} s each")
    ok = True
    for phase in phases[1:]:
        print(f"{LABELS[phase]} vs sweep:")
        ok = same_rows(results["sweep"][1], results[phase][1]) and ok
        ok = _same_count(shape, results["sweep"][0], results[phase][0]) and ok
    rows = shape.expired_rows()
    median = {phase: statistics.median(times) for phase, times in seconds.items()}
    if options.repeat > 1:
        for phase, times in seconds.items():
            print(f"{LABELS[phase]} seconds: {', '.join(f'{t:.2f}' for t in times)} (median used)")
    for phase in phases:
        throughput(LABELS[phase], rows, median[phase])
    sizes = sweeps[0].learner_batches
    print(
        f"sweep: {sweeps[0].batches} batches (all rules), longest"
        f" {max(run.longest_batch for run in sweeps):.2f} s (batch + checkpoint + pause: the"
        f" write lock is held for less); learner batches of {min(sizes, default=0):,} to"
        f" {max(sizes, default=0):,} learners, median {statistics.median(sizes or [0]):,.0f}"
    )
    for phase, note in (
        ("raw", "target: ratio >= 0.7"),
        ("batched", "what gardien itself costs"),
    ):
        if phase in median:
            figure(
                LABELS["sweep"],
                rows / median["sweep"],
                "rows/s",
                baseline=LABELS[phase],
                base=rows / median[phase],
            )
            print(f"  ({note})")
    return median, ok


def _same_count(shape: Shape, sweep_rows: Counter[str], raw_rows: Counter[str]) -> bool:
    expected = shape.expired_rows()
    for label, rows in (("sweep", sweep_rows), ("raw", raw_rows)):
        listed = ", ".join(f"{t} {n:,}" for t, n in sorted(rows.items()))
        print(f"  {label} deleted: {listed}")
    if sweep_rows == raw_rows and sum(raw_rows.values()) == expected:
        return True
    print(f"  check: FAILED, expected {expected:,} rows deleted by each, the same per table")
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--learners", type=int, default=1_000_000)
    parser.add_argument("--statements", type=int, default=10, help="statements per learner")
    parser.add_argument("--expired-fraction", type=float, default=0.1)
    parser.add_argument(
        "--batch-size", type=int, default=CLI_MAX_BATCH, help="at most this many records a batch"
    )
    parser.add_argument(
        "--batch-seconds",
        type=float,
        default=CLI_BATCH_SECONDS,
        help="size batches to last about this long, as gardien sweep does (0: fixed batches)",
    )
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 6, 30))
    parser.add_argument(
        "--scale-base",
        type=int,
        help="learners of the scale check's base (default: a tenth of --learners);"
        " the tenfold run keeps its expired learners and has ten times its unexpired ones",
    )
    parser.add_argument(
        "--layout",
        choices=("chronological", "random"),
        default="chronological",
        help="rows in the order a platform receives them (expired learners first), or the"
        " expired learners scattered at random among the others (see bench/_common.py Shape)",
    )
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument(
        "--skip-batched-raw",
        action="store_true",
        help="do not time the raw SQL in the sweep's batches (one transaction each)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="timed rounds per file, each on fresh copies; the median is used",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="where the files go (default: under /tmp)")
    options = parse_args(parser, argv, smoke={"learners": 2_000, "statements": 3, "repeat": 1})
    if not 0 < options.expired_fraction < 1 or min(options.statements, options.repeat) < 1:
        parser.error("--expired-fraction must be in (0, 1), --statements and --repeat >= 1")

    check_raw_baseline()
    policy = load_policy(None, catalogue=record_catalogue())
    main_shape = _shape(options.learners, options)
    print(
        f"as of {options.as_of}, batches of at most {options.batch_size:,} records"
        f" ({f'about {options.batch_seconds} s each' if options.batch_seconds else 'fixed'}),"
        f" seed {options.seed};"
        f" learner threshold {learner_threshold(policy, options.as_of)}"
    )
    with tempfile.TemporaryDirectory(prefix="gardien-sweep-", dir=options.workdir) as folder:
        workdir = Path(folder)
        print(f"== sweep vs raw SQL: {main_shape.describe()}")
        _, ok = compare(workdir, main_shape, options, policy)
        if not options.skip_scale:
            ok = _scale_check(workdir, options, policy) and ok
    return 0 if ok else 1


def _shape(learners: int, options: argparse.Namespace) -> Shape:
    expired = round(learners * options.expired_fraction)
    return Shape(expired, learners - expired, options.statements, options.layout)


def _scale_check(workdir: Path, options: argparse.Namespace, policy: Policy) -> bool:
    base = _shape(options.scale_base or max(options.learners // 10, 1), options)
    tenfold = Shape(base.expired, 10 * base.unexpired, base.statements, base.layout)
    print(f"== scale check: base {base.describe()}")
    before, ok = compare(workdir, base, options, policy)
    print(f"== scale check: tenfold unexpired, {tenfold.describe()}")
    after, ten_ok = compare(workdir, tenfold, options, policy)
    print(
        f"sweep with {base.expired:,} expired among {base.learners:,} learners:"
        f" {before['sweep']:.2f} s; among {tenfold.learners:,}: {after['sweep']:.2f} s;"
        f" change {100 * (after['sweep'] / before['sweep'] - 1):+.1f} % (target < 20 %)"
    )
    for phase in [phase for phase in before if phase != "sweep"]:
        print(
            f"{LABELS[phase]}, same two files: {before[phase]:.2f} s then {after[phase]:.2f} s;"
            f" change {100 * (after[phase] / before[phase] - 1):+.1f} %"
        )
    return ok and ten_ok


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of ``gardien sweep`` on SQLite, against raw SQL deleting the same rows.

    python bench/sweep.py [--learners 1000000] [--statements 10] [--expired-fraction 0.1]
                          [--batch-size 1000] [--as-of 2025-06-30] [--scale-base N] [--skip-scale]
                          [--repeat 1] [--seed 1] [--workdir DIR]

1. Generates N learners with K xAPI statements and one enrolment each into a fresh, migrated
   SQLite file (plain ``sqlite3`` ``executemany``, fixed seed); a fraction of them expired (last
   activity 19 to 36 months before the as-of date), the rest active within 16 months.
2. Copies the file, for an identical baseline (with ``--repeat R``, R rounds of fresh copies;
   the medians are used).
3. Times the real sweep (default policy, a clock fixed at the as-of date, audit log included)
   on the first file, and one transaction of hand-written ``DELETE ... WHERE learner_id IN
   (SELECT id FROM learner WHERE last_activity_at < ?)`` on the copy (no audit). Checks that
   both end with the same rows in every table but the audit's (exit status 1 if not), and
   prints rows, seconds and rows/s of both and the ratio of their throughputs (target >= 0.7).
4. Scale check: the same expired learners among the unexpired ones of a base of
   ``--scale-base`` learners (default a tenth of ``--learners``), then among ten times as
   many unexpired ones, swept each time (and deleted by raw SQL on a copy, to show what
   SQLite itself pays for the larger files); prints both sweep times and the change (target
   < 20 %).

Each timed phase starts after ``os.sync()`` with its file read once (in the OS page cache, as a
running server's database would be) and ends once its connections are closed (their last
checkpoint included). It prints figures and asserts nothing about time (CONVENTIONS 9).
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from _common import (
    Shape,
    Timer,
    connect,
    copy_database,
    generate,
    remove_database,
    snapshot,
    warm,
)
from gardien.domain.clock import FixedClock
from gardien.domain.retention import expiry_threshold
from gardien.policy import Policy, load_policy
from gardien.services.sweep import DEFAULT_BATCH, SweepReport, sweep
from gardien.store.catalogue import record_catalogue
from gardien.store.engine import make_engine

# What the learner rule erases, children first, as the raw baseline deletes it.
LEARNER_CHILDREN = (
    "activity_statement",
    "enrolment",
    "contract_learner",
    "cpf_dossier",
    "outbox_message",
)
AUDIT_TABLES = ("audit_entry", "audit_head")


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


def run_sweep(path: Path, *, policy: Policy, as_of: date, batch_size: int) -> SweepRun:
    """Time the real sweep on ``path``."""
    engine = make_engine(f"sqlite:///{path}")
    clock = FixedClock.on(as_of)
    marks: list[tuple[str, float]] = []

    def progress(rule: str, _done: int, _total: int) -> None:
        # Called before a rule's first batch and after each batch: the gaps are batch times.
        marks.append((rule, time.perf_counter()))

    os.sync()
    warm(path)
    with Timer() as timer:
        report = sweep(engine, policy=policy, clock=clock, batch_size=batch_size, progress=progress)
        engine.dispose()
    batches = [b - a for (r, a), (q, b) in itertools.pairwise(marks) if r == q]
    return SweepRun(timer.seconds, removed_rows(report), len(batches), max(batches, default=0))


def learner_threshold(policy: Policy, as_of: date) -> str:
    """The learner rule's threshold as gardien binds it on SQLite (midnight UTC, as text)."""
    months = next(rule.months for rule in policy.retention.values() if rule.record == "learner")
    return f"{expiry_threshold(as_of, months).isoformat()} 00:00:00.000000"


def run_raw(path: Path, *, threshold: str) -> tuple[float, Counter[str]]:
    """Seconds of a hand-written, single-transaction deletion of the expired learners."""
    expired = "SELECT id FROM learner WHERE last_activity_at < ?"
    rows: Counter[str] = Counter()
    connection = connect(path)
    os.sync()
    warm(path)
    with Timer() as timer:
        connection.execute("BEGIN IMMEDIATE")
        rows["module_progress"] = connection.execute(
            "DELETE FROM module_progress WHERE enrolment_id IN"
            f" (SELECT id FROM enrolment WHERE learner_id IN ({expired}))",
            (threshold,),
        ).rowcount
        for table in LEARNER_CHILDREN:
            rows[table] = connection.execute(
                f"DELETE FROM {table} WHERE learner_id IN ({expired})", (threshold,)
            ).rowcount
        connection.execute(
            f"UPDATE opco_dossier SET learner_id = NULL WHERE learner_id IN ({expired})",
            (threshold,),
        )
        rows["learner"] = connection.execute(
            "DELETE FROM learner WHERE last_activity_at < ?", (threshold,)
        ).rowcount
        connection.execute("COMMIT")
        connection.close()
    return timer.seconds, +rows


def same_rows(swept: Path, raw: Path) -> bool:
    """Print whether both files hold the same rows in every table but the audit's."""
    left, right = snapshot(swept), snapshot(raw)
    differ = [
        t
        for t in left.keys() | right.keys()
        if t not in AUDIT_TABLES and left.get(t) != right.get(t)
    ]
    audit = left.get("audit_entry", (0, 0))[0]
    if differ:
        for table in sorted(differ):
            print(f"  MISMATCH {table}: sweep {left.get(table)} raw {right.get(table)}")
        print(f"check: FAILED, {len(differ)} table(s) differ")
        return False
    kept = {t: n for t, (n, _) in sorted(left.items()) if n and t not in AUDIT_TABLES}
    print(
        f"check: same rows (count and rowids) in all {len(left) - len(AUDIT_TABLES)} tables"
        f" but the audit's; left {', '.join(f'{t} {n:,}' for t, n in kept.items())};"
        f" sweep audit entries: {audit}"
    )
    return True


def throughput(label: str, rows: int, seconds: float) -> None:
    print(f"{label:<22} {rows:>12,} rows {seconds:9.2f} s {rows / seconds:>12,.0f} rows/s")


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


def compare(
    workdir: Path, shape: Shape, options: argparse.Namespace, policy: Policy
) -> tuple[float, float, bool]:
    """Generate, then sweep one copy and raw-delete another; median seconds of both, the check.

    With ``--repeat R``, R rounds each start from fresh copies of the generated file.
    """
    pristine, swept, raw = (workdir / f"{name}.sqlite3" for name in ("pristine", "sweep", "raw"))
    build(pristine, shape, as_of=options.as_of, seed=options.seed, copies=options.repeat + 1)
    threshold = learner_threshold(policy, options.as_of)
    sweeps: list[SweepRun] = []
    raws: list[float] = []
    ok = True
    try:
        for round_ in range(options.repeat):
            last = round_ == options.repeat - 1
            with Timer() as timer:
                copy_database(pristine, raw)
                if not last:
                    copy_database(pristine, swept)
            print(f"copied the baseline in {timer.seconds:.1f} s")
            # The last round sweeps the generated file itself: one copy fewer.
            target = pristine if last else swept
            sweeps.append(
                run_sweep(target, policy=policy, as_of=options.as_of, batch_size=options.batch_size)
            )
            raw_seconds, raw_rows = run_raw(raw, threshold=threshold)
            raws.append(raw_seconds)
            if round_ == 0:
                ok = same_rows(target, raw) and _same_count(shape, sweeps[0].rows, raw_rows)
            remove_database(raw)
            remove_database(swept)
    finally:
        for path in (pristine, swept, raw):
            remove_database(path)
    rows = shape.expired * (2 + shape.statements)
    sweep_seconds = statistics.median(run.seconds for run in sweeps)
    raw_seconds = statistics.median(raws)
    if options.repeat > 1:
        print(f"sweep seconds: {', '.join(f'{run.seconds:.2f}' for run in sweeps)} (median used)")
        print(f"raw seconds:   {', '.join(f'{s:.2f}' for s in raws)} (median used)")
    throughput("sweep (audit included)", rows, sweep_seconds)
    throughput("raw SQL (no audit)", rows, raw_seconds)
    print(
        f"sweep: {sweeps[0].batches} batches of at most {options.batch_size} records"
        f" (all rules), longest {max(run.longest_batch for run in sweeps):.2f} s"
        " (batch + checkpoint + pause: the write lock is held for less)"
    )
    print(f"ratio sweep/raw throughput: {raw_seconds / sweep_seconds:.2f} (target >= 0.7)")
    return sweep_seconds, raw_seconds, ok


def _same_count(shape: Shape, sweep_rows: Counter[str], raw_rows: Counter[str]) -> bool:
    expected = shape.expired * (2 + shape.statements)
    for label, rows in (("sweep", sweep_rows), ("raw", raw_rows)):
        listed = ", ".join(f"{t} {n:,}" for t, n in sorted(rows.items()))
        print(f"{label} deleted: {listed}")
    if sweep_rows == raw_rows and sum(raw_rows.values()) == expected:
        return True
    print(f"check: FAILED, expected {expected:,} rows deleted by each, the same per table")
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--learners", type=int, default=1_000_000)
    parser.add_argument("--statements", type=int, default=10, help="statements per learner")
    parser.add_argument("--expired-fraction", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 6, 30))
    parser.add_argument(
        "--scale-base",
        type=int,
        help="learners of the scale check's base (default: a tenth of --learners);"
        " the tenfold run keeps its expired learners and has ten times its unexpired ones",
    )
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="timed rounds per file, each on fresh copies; the median is used",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="where the files go (default: under /tmp)")
    options = parser.parse_args(argv)
    if not 0 < options.expired_fraction < 1 or min(options.statements, options.repeat) < 1:
        parser.error("--expired-fraction must be in (0, 1), --statements and --repeat >= 1")

    policy = load_policy(None, catalogue=record_catalogue())
    main_shape = _shape(options.learners, options)
    print(
        f"as of {options.as_of}, batch size {options.batch_size}, seed {options.seed};"
        f" learner threshold {learner_threshold(policy, options.as_of)}"
    )
    with tempfile.TemporaryDirectory(prefix="gardien-sweep-", dir=options.workdir) as folder:
        workdir = Path(folder)
        print(f"== sweep vs raw SQL: {main_shape.describe()}")
        _, _, ok = compare(workdir, main_shape, options, policy)
        if not options.skip_scale:
            ok = _scale_check(workdir, options, policy) and ok
    return 0 if ok else 1


def _shape(learners: int, options: argparse.Namespace) -> Shape:
    expired = round(learners * options.expired_fraction)
    return Shape(expired=expired, unexpired=learners - expired, statements=options.statements)


def _scale_check(workdir: Path, options: argparse.Namespace, policy: Policy) -> bool:
    base = _shape(options.scale_base or max(options.learners // 10, 1), options)
    tenfold = Shape(base.expired, 10 * base.unexpired, base.statements)
    print(f"== scale check: base {base.describe()}")
    base_sweep, base_raw, ok = compare(workdir, base, options, policy)
    print(f"== scale check: tenfold unexpired, {tenfold.describe()}")
    ten_sweep, ten_raw, ten_ok = compare(workdir, tenfold, options, policy)
    print(
        f"sweep with {base.expired:,} expired among {base.learners:,} learners: {base_sweep:.2f} s;"
        f" among {tenfold.learners:,}: {ten_sweep:.2f} s;"
        f" change {100 * (ten_sweep / base_sweep - 1):+.1f} % (target < 20 %)"
    )
    print(
        f"raw SQL, same two files: {base_raw:.2f} s then {ten_raw:.2f} s;"
        f" change {100 * (ten_raw / base_raw - 1):+.1f} %"
    )
    return ok and ten_ok


if __name__ == "__main__":
    sys.exit(main())

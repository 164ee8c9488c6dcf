"""Run ADL's xAPI conformance suite against this tree, outside pytest; ``--update`` the lists.

    .venv/bin/python -m tests.xapi_conformance.run             # check, like the test does
    .venv/bin/python -m tests.xapi_conformance.run --update    # rewrite expected_failures_*.txt
    .venv/bin/python -m tests.xapi_conformance.run -x 2.0.0 --keep   # one version, keep the copy

``--update`` lists every failure of the run; a case already listed keeps its reason, a new one
gets ``--reason``. Exit status: 0 when every run agrees with its list (after ``--update``,
always), 1 otherwise, 2 when the suite could not run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from tests.xapi_conformance import harness


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.xapi_conformance.run")
    parser.add_argument("-x", "--version", action="append", choices=harness.VERSIONS)
    parser.add_argument("--update", action="store_true", help="rewrite the expected failures")
    parser.add_argument("--reason", default=harness.DEFAULT_REASON, help="for newly listed cases")
    parser.add_argument("--keep", action="store_true", help="keep the copy, logs")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="gardien-xapi-conformance-"))
    agree = True
    try:
        suite = harness.install(workdir)
        for version in args.version or harness.VERSIONS:
            rundir = workdir / version
            rundir.mkdir()
            outcome = harness.run(suite, version, rundir)
            path = harness.expected_path(version)
            if args.update:
                harness.write_expected(path, outcome, reason=args.reason)
                sys.stdout.write(f"{outcome.summary()}\n{len(outcome.failed)} listed in {path}\n")
                continue
            differences = harness.compare(outcome, harness.read_expected(path))
            agree = agree and not differences
            sys.stdout.write(harness.report(outcome, differences) + "\n")
    except harness.SuiteError as error:
        sys.stderr.write(f"{error}\n")
        agree = False
        return 2
    finally:
        if args.keep or not agree:  # the run logs the report points at
            sys.stdout.write(f"kept: {workdir}\n")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())

"""Run test jobs at the same moment in threads, for the concurrency tests."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(*jobs: Callable[[], None]) -> None:
    """Start the jobs at the same moment, each in its own thread; re-raise the first failure."""
    barrier = threading.Barrier(len(jobs))
    failures: list[BaseException] = []

    def worker(job: Callable[[], None]) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # handed over to the main thread
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    if failures:
        raise failures[0]

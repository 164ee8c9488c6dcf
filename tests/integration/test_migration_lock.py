"""Two instances that start together run ``gardien db upgrade`` once: the second waits for the
lock the first holds (PostgreSQL advisory lock, SQLite lock file), then finds the schema at head
(store/migrate.py, docs/postgresql.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import inspect

from gardien.store.engine import make_engine
from gardien.store.migrate import (
    current_revision,
    head_revision,
    migration_lock,
    revisions_after,
)

WAITING = "another instance is migrating the database: waiting for it to finish"


def _start_upgrade(url: str, folder: Path, name: str) -> tuple[subprocess.Popen[bytes], Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GARDIEN_")}
    env["GARDIEN_DATABASE_URL"] = url
    out, err = folder / f"{name}.out", folder / f"{name}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gardien", "db", "upgrade"],
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    return process, out


def _wait_until_both_wait(processes: list[subprocess.Popen[bytes]], folder: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        said = [(folder / f"{n}.err").read_text() for n in ("first", "second")]
        if all(WAITING in text for text in said):
            return
        for process, text in zip(processes, said, strict=True):
            assert process.poll() is None, f"an upgrade ended while the lock was held: {text}"
        time.sleep(0.05)
    raise AssertionError("the two upgrades never both waited for the lock")


def test_two_upgrades_started_together_apply_the_migrations_once(
    empty_database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(empty_database_url)
    try:
        # The test holds the migrations' lock while both start, so that they overlap for
        # certain: each says it waits, and both race for the lock when the test lets go.
        with migration_lock(engine):
            started = [_start_upgrade(empty_database_url, tmp_path, n) for n in ("first", "second")]
            processes = [process for process, _ in started]
            _wait_until_both_wait(processes, tmp_path)
            assert current_revision(engine) is None  # neither got past the lock
        codes = [process.wait(timeout=300) for process in processes]
        outputs = sorted(out.read_text() for _, out in started)
        errors = [(tmp_path / f"{n}.err").read_text() for n in ("first", "second")]

        assert codes == [0, 0], errors
        head = head_revision()
        migrations = len(revisions_after(None))
        assert migrations >= 16
        # The counts are Alembic's own record of the steps it ran (on_version_apply, see
        # migrations/env.py): one process ran every migration, the other none. They ran once.
        assert outputs == [
            f"applied {migrations} migration(s): database at revision {head}\n",
            f"nothing to apply: database at revision {head}\n",
        ]
        assert current_revision(engine) == head
        assert "activity_statement" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_an_upgrade_with_nobody_else_does_not_wait(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    waited: list[bool] = []
    try:
        with migration_lock(engine, on_wait=lambda: waited.append(True)):
            pass
        with migration_lock(engine, on_wait=lambda: waited.append(True)):
            pass  # taken and released again: the first released it
        assert waited == []
    finally:
        engine.dispose()

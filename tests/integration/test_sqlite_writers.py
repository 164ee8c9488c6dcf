"""The web server's SQLite writers: they queue at the engine's gate within their budget, and WAL
checkpoints run on a thread of their own, not in a request's commit (store/engine.py,
store/checkpoints.py, docs/performance.md)."""

from __future__ import annotations

import fcntl
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.pool import QueuePool

from gardien.bootstrap import bootstrap
from gardien.errors import BusyError
from gardien.settings import Settings
from gardien.store.checkpoints import Checkpointer
from gardien.store.engine import CHECKPOINT_FALLBACK_PAGES, make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import contact_message
from gardien.store.uow import UnitOfWork
from gardien.store.write_gate import WRITERS_LOCK_SUFFIX, write_gate
from gardien.web.app import create_app

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    path = tmp_path / "writers.sqlite3"
    with _engine(f"sqlite:///{path}") as engine:
        upgrade(engine)
    return path


@contextmanager
def _engine(url: str, **options: Any) -> Iterator[Engine]:
    """``make_engine(url, **options)``, disposed of on the way out."""
    engine = make_engine(url, **options)
    try:
        yield engine
    finally:
        engine.dispose()


def _write(engine: Engine, n: int, *, hold: float = 0.0, wait: bool = True) -> None:
    with UnitOfWork(engine, write=True, wait=wait) as uow:
        uow.connection.execute(
            insert(contact_message).values(
                name=f"Personne {n}",
                email=f"personne.{n}@example.org",
                message="Bonjour.",
                received_at=NOW,
                last_exchange_at=NOW,
            )
        )
        time.sleep(hold)
        uow.commit()


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(contact_message)).scalar_one()
        )


def test_writers_of_one_process_queue_and_all_get_through(sqlite_path: Path) -> None:
    # Twelve writers at once, each holding the lock 30 ms, with a 2 s budget: without the
    # gate they would poll SQLite's lock; with it they queue, and every one writes.
    engine = make_engine(f"sqlite:///{sqlite_path}", write_wait=2.0)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            _write(engine, n, hold=0.03)
        except BaseException as error:
            errors.append(error)

    try:
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert _count(engine) == 12
    finally:
        engine.dispose()


def test_a_waiting_writer_queues_at_the_gate_not_on_sqlite_lock(sqlite_path: Path) -> None:
    # While one writer holds the lock, the next waits on the gate without a connection: it
    # does not poll SQLite's lock (which sleeps up to 100 ms between tries), and it takes the
    # gate the moment it is given back.
    engine = make_engine(f"sqlite:///{sqlite_path}", write_wait=5.0)
    holding, release = threading.Event(), threading.Event()

    def holder() -> None:
        with UnitOfWork(engine, write=True) as uow:
            holding.set()
            release.wait(5)
            uow.commit()

    first = threading.Thread(target=holder)
    first.start()
    assert holding.wait(5)
    second = threading.Thread(target=_write, args=(engine, 1))
    second.start()
    try:
        time.sleep(0.3)
        assert second.is_alive()  # waiting...
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.checkedout() == 1  # ...at the gate: only the holder has a connection
    finally:
        release.set()
        first.join()
        second.join()
    try:
        assert _count(engine) == 1
    finally:
        engine.dispose()


_HOLDER = """
import sys, time
from gardien.store.engine import make_engine
from gardien.store.uow import UnitOfWork
engine = make_engine(sys.argv[1])
with UnitOfWork(engine, write=True) as uow:
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    uow.commit()
"""


@contextmanager
def _held_by_another_process(url: str, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another process holding a write for ``seconds`` (it has the lock when this yields)."""
    other = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, url, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "holding"
        yield other
    finally:
        if other.poll() is None:
            other.kill()
        other.wait()
        if other.stdout is not None:
            other.stdout.close()


def test_writers_of_two_processes_queue_at_the_lock_file_beside_the_database(
    sqlite_path: Path,
) -> None:
    # Another process (a second web worker, a command) holding a write: the lock of the file
    # beside the database is taken, so this process's writer queues on it instead of polling
    # SQLite's lock, then writes once the other is done.
    url = f"sqlite:///{sqlite_path}"
    with _engine(url, write_wait=10.0) as engine:
        with _held_by_another_process(url, 1.0) as other:
            lock_file = Path(f"{sqlite_path}{WRITERS_LOCK_SUFFIX}")
            with lock_file.open("rb") as seen, pytest.raises(BlockingIOError):
                fcntl.flock(seen.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            with pytest.raises(BusyError):
                _write(engine, 0, wait=False)  # a write that can wait for later gives up at once
            started = time.monotonic()
            _write(engine, 1)
            assert time.monotonic() - started > 0.3  # it waited for the other process
            assert other.wait(10) == 0
        assert _count(engine) == 1


def test_writers_that_gave_up_leave_the_next_one_its_turn(sqlite_path: Path) -> None:
    # Writers whose budget (0.3 s) is shorter than the other process's write (1.2 s) give up
    # one after another, and the one waiting when the lock is let go gets it and writes.
    url = f"sqlite:///{sqlite_path}"
    outcomes: list[str] = []
    with _engine(url, write_wait=0.3) as engine:
        with _held_by_another_process(url, 1.2) as other:
            for n in range(20):
                try:
                    _write(engine, n)
                except BusyError:
                    outcomes.append("busy")
                    continue
                outcomes.append("written")
                break
            assert other.wait(10) == 0
        assert outcomes[-1] == "written" and "busy" in outcomes, outcomes
        assert _count(engine) == 1


def test_a_writer_that_gave_up_does_not_keep_the_file_lock(sqlite_path: Path) -> None:
    # A writer that gave up holds nothing afterwards: once the other process lets the lock
    # go, anyone may take it.
    url = f"sqlite:///{sqlite_path}"
    lock_file = Path(f"{sqlite_path}{WRITERS_LOCK_SUFFIX}")
    with _engine(url, write_wait=0.1) as engine:
        with _held_by_another_process(url, 0.6) as other:
            with pytest.raises(BusyError):
                _write(engine, 1)
            assert other.wait(10) == 0
        taken = False
        with lock_file.open("rb") as mine:
            deadline = time.monotonic() + 5
            while not taken and time.monotonic() < deadline:
                try:
                    fcntl.flock(mine.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    taken = True
                except BlockingIOError:
                    time.sleep(0.01)
            assert taken  # the writer that gave up does not hold it
            with pytest.raises(BusyError):  # held here: this process's writer waits, then gives up
                _write(engine, 2)
            fcntl.flock(mine.fileno(), fcntl.LOCK_UN)
        _write(engine, 3)  # and takes it once it is free
        assert _count(engine) == 1


def test_a_writer_waits_its_budget_at_the_gate_then_busy_and_nothing_written(
    sqlite_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{sqlite_path}", write_wait=0.2)
    holding = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with UnitOfWork(engine, write=True) as uow:
            holding.set()
            release.wait(5)
            uow.commit()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert holding.wait(5)
        started = time.monotonic()
        with pytest.raises(BusyError):
            _write(engine, 1)
        assert time.monotonic() - started >= 0.2  # it did wait, its whole budget
        with pytest.raises(BusyError):
            _write(engine, 2, wait=False)  # a write that can wait for later does not wait
    finally:
        release.set()
        thread.join()
    try:
        assert _count(engine) == 0
        _write(engine, 3)  # the gate was given back each time
        assert _count(engine) == 1
    finally:
        engine.dispose()


def test_the_gate_is_given_back_when_the_work_fails(sqlite_path: Path) -> None:
    with _engine(f"sqlite:///{sqlite_path}", write_wait=0.2) as engine:
        with pytest.raises(RuntimeError), UnitOfWork(engine, write=True):
            raise RuntimeError("a failing use case")
        # A BEGIN refused because another process holds SQLite's lock gives it back too.
        other = sqlite3.connect(sqlite_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(BusyError):
                _write(engine, 1)
        finally:
            other.execute("ROLLBACK")
            other.close()
        _write(engine, 2, wait=False)
        assert _count(engine) == 1


def test_only_sqlite_writers_queue_at_a_gate(engine: Engine) -> None:
    # PostgreSQL lets writers run together: no gate there.
    assert (write_gate(engine) is None) == (engine.dialect.name == "postgresql")


def _autocheckpoint(engine: Engine) -> int:
    with engine.connect() as connection:
        value = connection.execute(text("PRAGMA wal_autocheckpoint")).scalar_one()
        return int(value)


def test_only_the_web_engine_leaves_checkpoints_to_the_thread(sqlite_path: Path) -> None:
    command_line = make_engine(f"sqlite:///{sqlite_path}")
    web = make_engine(f"sqlite:///{sqlite_path}", write_wait=2.0, background_checkpoints=True)
    try:
        assert _autocheckpoint(command_line) == 1000  # SQLite's own default
        assert _autocheckpoint(web) == CHECKPOINT_FALLBACK_PAGES
    finally:
        command_line.dispose()
        web.dispose()


def _rows_in_database_file(path: Path, copy: Path) -> int:
    """Rows of contact_message in the database file alone, without its WAL: what a
    checkpoint has copied back."""
    shutil.copyfile(path, copy)
    connection = sqlite3.connect(f"file:{copy}?immutable=1", uri=True)
    try:
        return int(connection.execute("SELECT count(*) FROM contact_message").fetchone()[0])
    finally:
        connection.close()


def test_the_checkpointer_copies_commits_into_the_database_file(
    sqlite_path: Path, tmp_path: Path
) -> None:
    with _engine(f"sqlite:///{sqlite_path}", write_wait=2.0, background_checkpoints=True) as engine:
        for n in range(20):
            _write(engine, n)
        copy = tmp_path / "copy.sqlite3"
        # Twenty small commits stay in the WAL: no commit checkpoints below the fallback.
        assert _rows_in_database_file(sqlite_path, copy) == 0
        checkpoints = Checkpointer(engine, every=0.05).start()
        try:
            deadline = time.monotonic() + 10
            while checkpoints.runs < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            checkpoints.stop()
        assert checkpoints.runs >= 2
        assert _rows_in_database_file(sqlite_path, copy) == 20


def test_the_checkpointer_is_for_sqlite_only(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with pytest.raises(ValueError, match="SQLite"):
            Checkpointer(engine)
    else:
        Checkpointer(engine).start().stop()  # starts and stops cleanly


def test_the_web_server_runs_the_checkpointer_while_it_serves(sqlite_path: Path) -> None:
    container = bootstrap(Settings(database_url=f"sqlite:///{sqlite_path}"))
    app = create_app(container)

    def running() -> bool:
        return any(t.name == "sqlite-checkpoints" for t in threading.enumerate())

    async def serve() -> None:
        # The app's lifespan, as uvicorn runs it around serving.
        async with app.router.lifespan_context(app):
            assert running()

    assert not running()
    anyio.run(serve)
    assert not running()
    container.close()

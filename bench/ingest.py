"""Benchmark of the Learning Record Store: ``POST /xapi/statements`` over HTTP, against raw inserts.

    python bench/ingest.py [--learners 10000] [--statements 60000] [--batch 50] [--clients 8]
                           [--warmup 4] [--workers 2] [--repeat 1] [--seed 1]
                           [--skip-sqlite] [--skip-postgres] [--postgres-url URL]
                           [--profile-server DIR] [--workdir DIR] [--smoke]

For SQLite (a file in a temporary directory), then PostgreSQL (a fresh database per run, made
with the admin URL of ``--postgres-url``, else ``GARDIEN_BENCH_POSTGRES_URL``, else
``GARDIEN_TEST_POSTGRES_URL``, else the local development server, and dropped at the end; an
empty ``GARDIEN_BENCH_POSTGRES_URL`` or ``--skip-postgres`` skips it):

1. A fresh migrated database with N learners and their accounts (written through gardien's
   tables, ``mbox_sha1sum`` included) and one xAPI client, kept as a pristine copy (a file
   copy, a template database).
2. Statements generated in advance (fixed seed): learning sessions of a few statements each
   (attempted a course, experienced lessons, completed modules, passed or attempted a quiz),
   with activity names, results (scores, durations), contexts (registration, parent course,
   platform, sometimes an instructor, whom the server stores under a keyed pseudonym with a
   ``statement_agent`` row that the baseline does not write), millisecond timestamps in UTC or
   with an offset; the sessions interleaved in time order, as an LMS forwards its queue. Actors by
   ``mbox`` (80 %, half with a name), ``mbox_sha1sum`` (15 %) and an account on gardien's home
   page named by the pseudonym (5 %); 90 % of the statements carry an id.
3. ``gardien serve --workers N`` in a subprocess on a free loopback port, timed once each
   worker has started. ``--warmup`` batches are posted first, one at a time, untimed; then C client
   threads (``httpx.Client``, keep-alive) post the ``--statements`` in batches of ``--batch``.
   Prints statements/s, requests/s, latency percentiles and, during the timed phase, the CPU
   of the server (per process), of its PostgreSQL backends, of this process (the clients) and
   of the whole machine (other work running at the same time shows there, and skews the
   figures: the machine's load is also printed before the run). Before each timed phase, this
   one and those of step 4, the writes of the phase before are flushed (``sync``, and on
   PostgreSQL a ``CHECKPOINT`` when the role has ``pg_checkpoint``), so that none pays for
   them. Every POST must answer 200 with the ids sent and the table must hold every statement
   sent: the exit status is 1 otherwise, with the server's last error.
4. Baseline in the same run: the rows the server stored (read back as stored: the pseudonymised
   ``raw`` JSON, the instants, everything) inserted into identical fresh copies of the pristine
   database by one connection, the warm-up rows first, untimed. SQLite: plain ``sqlite3``
   ``executemany`` with gardien's pragmas. PostgreSQL: psycopg's ``cursor.copy``. Variants:
   one transaction per batch of ``--batch`` rows, as the server commits (the reference of the
   ratio); the same plus the ``UPDATE learner SET last_activity_at`` the server also makes per
   learner of a batch; one transaction for all; on PostgreSQL also ``executemany`` INSERTs per
   batch (what the server's SQL is). The baseline has no validation, no pseudonymisation, no
   HTTP, no lookup of learners or of known ids, and runs on one connection with no concurrency.
5. A summary per backend and the targets: 3,000 statements/s over HTTP on SQLite, and a ratio
   HTTP / raw (batches) of at least 0.5. It prints figures and asserts nothing about time
   (CONVENTIONS 9).

``--repeat N`` runs steps 1 to 4 N times, the backends alternated (SQLite, PostgreSQL, SQLite...),
so that a slow spell of a shared machine falls on both; the summary gives every round and
takes the figures of the round with the median ratio. On a machine whose speed varies by 20 %
from one minute to the next (the 2-vCPU one of docs/performance.md), one round says little.

``--smoke``: 200 learners, 1,000 statements, 2 clients, two rounds of both backends, in about
twenty seconds.

``--profile-server DIR`` runs the server under cProfile and writes ``DIR/<backend>.prof`` (read
it with ``python -m pstats``); its throughput is then the profiler's, not the server's.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import itertools
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from sqlalchemy import JSON, insert, select, text

from _common import (
    PASSWORD_HASH,
    Timer,
    connect,
    copy_database,
    figure,
    fresh_database,
    insert_sql,
    parse_args,
    postgres_admin_url,
    quote,
    warm,
    written_columns,
)
from gardien.domain.clock import FixedClock
from gardien.services.xapi.clients import create_client
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import account, activity_statement, learner
from gardien.store.uow import UnitOfWork

HOME_PAGE = "https://gardien.example.org"
LMS = "https://lms.example.com"
CLIENT_NAME = "Example LMS (bench)"
TARGET_HTTP = 3_000.0
TARGET_RATIO = 0.5
# The web server's workers in production (deploy/gardien.env.example, GARDIEN_WEB_WORKERS).
WORKERS = 2
# Statements happen in October 2026; learners were last active between January and September.
WINDOW_START = datetime(2026, 10, 1, tzinfo=UTC)
WINDOW_DAYS = 30
VERBS = "http://adlnet.gov/expapi/verbs/"
VERB_DISPLAY = {
    "attempted": ("attempted", "a commencé"),
    "experienced": ("experienced", "a consulté"),
    "completed": ("completed", "a terminé"),
    "passed": ("passed", "a réussi"),
}
ACTIVITY_TYPES = "http://adlnet.gov/expapi/activities/"
COURSES = (
    ("fle-a2", "Français langue étrangère A2", "French as a foreign language A2"),
    ("fle-b1", "Français langue étrangère B1", "French as a foreign language B1"),
    ("excel", "Tableur : les bases", "Spreadsheets: the basics"),
    ("rgpd", "Le RGPD au quotidien", "GDPR in daily work"),
    ("secours", "Gestes de premiers secours", "First aid"),
    ("accueil", "Accueillir la clientèle", "Welcoming customers"),
    ("anglais-b2", "Anglais professionnel B2", "Business English B2"),
    ("compta", "Comptabilité pour non-comptables", "Accounting for non-accountants"),
    ("soudure", "Soudure à l'arc : sécurité", "Arc welding: safety"),
    ("management", "Manager une équipe", "Managing a team"),
    ("vente", "Techniques de vente", "Sales techniques"),
    ("code", "Initiation à la programmation", "Introduction to programming"),
)
MODULES_PER_COURSE = 8
LESSONS_PER_MODULE = 5
GIVEN = ("Léa", "Noé", "Inès", "Hugo", "Maëlle", "Yanis", "Chloé", "Malo", "Anaïs", "Rémi")
FAMILY = ("Fictif", "Exemple", "Modèle", "Essai", "Témoin", "Maquette", "Prototype", "Factice")
INSTRUCTOR = {
    "objectType": "Agent",
    "name": "Formatrice Exemple",
    "mbox": "mailto:formatrice@example.com",
}
# The columns of activity_statement the server writes (``id`` is the table's own), in order:
# the baseline copies every one of them, whatever the schema adds.
COLUMNS = written_columns(activity_statement)
TIMESTAMP = COLUMNS.index("timestamp")
STORED_AT = COLUMNS.index("stored_at")
LEARNER_ID = COLUMNS.index("learner_id")


# --- learners and statements -------------------------------------------------------------------


@dataclass(frozen=True)
class Learner:
    pseudonym: str
    email: str
    mbox_sha1sum: str
    given_name: str
    family_name: str
    created_at: datetime
    last_activity_at: datetime


def _uuid(rnd: random.Random) -> str:
    return str(uuid.UUID(int=rnd.getrandbits(128), version=4))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def make_learners(count: int, seed: int) -> list[Learner]:
    """``count`` fictional learners on example.org, the same for a given seed."""
    rnd = random.Random(f"{seed}:learners")
    learners = []
    for n in range(count):
        given, family = rnd.choice(GIVEN), rnd.choice(FAMILY)
        email = f"{_ascii(given)}.{_ascii(family)}.{n}@example.org"
        created = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rnd.randrange(365 * 86400))
        last = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rnd.randrange(270 * 86400))
        learners.append(
            Learner(
                pseudonym=_uuid(rnd),
                email=email,
                mbox_sha1sum=hashlib.sha1(f"mailto:{email}".encode()).hexdigest(),
                given_name=given,
                family_name=family,
                created_at=created,
                last_activity_at=last,
            )
        )
    return learners


def _actor(rnd: random.Random, person: Learner) -> dict[str, Any]:
    """How the LMS names ``person``: mbox (with a name half the time), SHA-1 or account."""
    pick = rnd.random()
    if pick < 0.80:
        agent: dict[str, Any] = {"objectType": "Agent", "mbox": f"mailto:{person.email}"}
        if rnd.random() < 0.5:
            agent["name"] = f"{person.given_name} {person.family_name}"
        return agent
    if pick < 0.95:
        return {"objectType": "Agent", "mbox_sha1sum": person.mbox_sha1sum}
    return {"account": {"homePage": HOME_PAGE, "name": person.pseudonym}}


def _verb(name: str) -> dict[str, Any]:
    en, fr = VERB_DISPLAY[name]
    return {"id": f"{VERBS}{name}", "display": {"en-US": en, "fr-FR": fr}}


def _activity(iri: str, kind: str, fr: str, en: str) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": iri,
        "definition": {
            "name": {"fr-FR": fr, "en-US": en},
            "type": f"{ACTIVITY_TYPES}{kind}",
        },
    }


def _duration(seconds: int) -> str:
    minutes, seconds = divmod(seconds, 60)
    return f"PT{minutes}M{seconds}S" if minutes else f"PT{seconds}S"


def _timestamp(rnd: random.Random, instant: datetime) -> str:
    """Milliseconds; in UTC mostly, sometimes with the learner's Paris offset."""
    if rnd.random() < 0.2:
        instant = instant.astimezone(timezone(timedelta(hours=1)))
        return instant.isoformat(timespec="milliseconds")
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _session(rnd: random.Random, person: Learner, start: datetime) -> list[dict[str, Any]]:
    """One learning session: a course attempted, lessons, modules completed, maybe a quiz."""
    slug, fr, en = rnd.choice(COURSES)
    course_iri = f"{LMS}/courses/{slug}"
    course = _activity(course_iri, "course", fr, en)
    actor = _actor(rnd, person)
    context: dict[str, Any] = {
        "registration": _uuid(rnd),
        "contextActivities": {
            "parent": [{"objectType": "Activity", "id": course_iri}],
            "grouping": [{"objectType": "Activity", "id": f"{LMS}/programmes/catalogue-2026"}],
        },
        "platform": "Example LMS",
        "language": "fr-FR",
        "extensions": {f"{LMS}/xapi/extensions/session": _uuid(rnd)},
    }
    if rnd.random() < 0.1:
        context["instructor"] = INSTRUCTOR
    # The course itself has the programme for context, not itself as parent.
    course_context = {
        **context,
        "contextActivities": {"grouping": context["contextActivities"]["grouping"]},
    }
    moment = start
    documents: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = [
        ("attempted", course, None)
    ]
    first = rnd.randrange(MODULES_PER_COURSE)
    for module in range(first, min(first + rnd.randint(1, 2), MODULES_PER_COURSE)):
        module_iri = f"{course_iri}/modules/m{module + 1}"
        for lesson in range(rnd.randint(1, 3)):
            page = rnd.randrange(LESSONS_PER_MODULE) + 1
            lesson_name = (
                f"Module {module + 1}, leçon {page}",
                f"Module {module + 1}, lesson {page}",
            )
            documents.append(
                (
                    "experienced",
                    _activity(f"{module_iri}/lessons/{page}", "lesson", *lesson_name),
                    {"duration": _duration(rnd.randint(30, 900))} if lesson % 2 == 0 else None,
                )
            )
        documents.append(
            (
                "completed",
                _activity(module_iri, "module", f"Module {module + 1}", f"Module {module + 1}"),
                {"completion": True, "duration": _duration(rnd.randint(300, 3600))},
            )
        )
    if rnd.random() < 0.5:
        raw = rnd.randint(8, 20)
        passed = raw >= 12
        result: dict[str, Any] = {
            "score": {"scaled": round(raw / 20, 2), "raw": raw, "min": 0, "max": 20},
            "success": passed,
            "completion": True,
            "duration": _duration(rnd.randint(120, 1200)),
        }
        documents.append(
            (
                "passed" if passed else "attempted",
                _activity(f"{course_iri}/quiz", "assessment", f"Quiz : {fr}", f"Quiz: {en}"),
                result,
            )
        )
    statements = []
    for verb, target, result in documents:
        moment += timedelta(seconds=rnd.randint(20, 600), milliseconds=rnd.randrange(1000))
        statement: dict[str, Any] = {
            "actor": actor,
            "verb": _verb(verb),
            "object": target,
            "context": course_context if target is course else context,
            "timestamp": _timestamp(rnd, moment),
        }
        if rnd.random() < 0.9:
            statement = {"id": _uuid(rnd), **statement}
        if result is not None:
            statement["result"] = result
        statements.append((moment, statement))
    return [s for _, s in statements]


def make_statements(learners: Sequence[Learner], count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` statements of interleaved sessions, in time order (what an LMS forwards)."""
    rnd = random.Random(f"{seed}:statements")
    # About 6.5 statements a session: enough sessions to fill the window, the surplus cut off.
    sessions = count // 5 + 10
    span = WINDOW_DAYS * 86_400
    timed: list[tuple[datetime, int, dict[str, Any]]] = []
    for _ in range(sessions):
        start = WINDOW_START + timedelta(seconds=rnd.randrange(span))
        person = learners[rnd.randrange(len(learners))]
        for statement in _session(rnd, person, start):
            # Sort key: the statement's own instant (UTC), then generation order.
            when = datetime.fromisoformat(statement["timestamp"].replace("Z", "+00:00"))
            timed.append((when, len(timed), statement))
    timed.sort(key=lambda item: (item[0], item[1]))
    if len(timed) < count:
        raise RuntimeError("not enough sessions generated")
    return [statement for _, _, statement in timed[:count]]


@dataclass(frozen=True)
class Batch:
    body: bytes
    ids: list[str | None]  # the ids sent (None: the server gives one)


def make_batches(statements: Sequence[dict[str, Any]], size: int) -> list[Batch]:
    return [
        Batch(
            body=orjson.dumps(list(statements[i : i + size])),
            ids=[s.get("id") for s in statements[i : i + size]],
        )
        for i in range(0, len(statements), size)
    ]


# --- databases ---------------------------------------------------------------------------------


def seed(url: str, learners: Sequence[Learner]) -> tuple[str, str]:
    """``learners`` and their accounts in the migrated database at ``url``, written through
    gardien's tables (its own types store the values), then the bench's xAPI client, registered
    through gardien's service; the client's key and secret."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(learner),
                [
                    {
                        "pseudonym": p.pseudonym,
                        "email": p.email,
                        "mbox_sha1sum": p.mbox_sha1sum,
                        "given_name": p.given_name,
                        "family_name": p.family_name,
                        "created_at": p.created_at,
                        "last_activity_at": p.last_activity_at,
                    }
                    for p in learners
                ],
            )
            ids = {
                email: id_
                for email, id_ in connection.execute(select(learner.c.email, learner.c.id))
            }
            # Every learner has signed in with a password: the account weighs what it would.
            connection.execute(
                insert(account),
                [
                    {
                        "email": p.email,
                        "role": "learner",
                        "learner_id": ids[p.email],
                        "password_hash": PASSWORD_HASH,
                        "created_at": p.created_at,
                        "activated_at": p.created_at,
                        "password_changed_at": p.created_at,
                        "last_sign_in_at": p.last_activity_at,
                    }
                    for p in learners
                ],
            )
            if connection.dialect.name == "postgresql":
                connection.execute(text("ANALYZE"))
        made = create_client(
            UnitOfWork(engine, write=True), name=CLIENT_NAME, clock=FixedClock.on(date(2026, 9, 1))
        )
    finally:
        engine.dispose()
    return made.key, made.secret


def prepare_sqlite(path: Path, learners: Sequence[Learner]) -> tuple[str, str]:
    """A fresh migrated file with ``learners`` and the client; the client's key and secret."""
    fresh_database(path)
    return seed(f"sqlite:///{path}", learners)


class Postgres:
    """Fresh databases on a PostgreSQL server, each dropped at the end (``close``)."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url.replace("postgresql+psycopg://", "postgresql://")
        self.admin = psycopg.connect(self.admin_url, autocommit=True)
        self.prefix = f"gardien_bench_{uuid.uuid4().hex[:8]}"
        self.made: list[str] = []
        self.checkpoints = True  # whether settle() may CHECKPOINT

    def url(self, name: str) -> str:
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{name}"

    def create(self, suffix: str, *, template: str | None = None) -> str:
        name = f"{self.prefix}_{suffix}"
        clause = f" TEMPLATE {template}" if template else ""
        self.admin.execute(f"CREATE DATABASE {name}{clause}")
        self.made.append(name)
        return name

    def drop(self, name: str) -> None:
        for attempt in range(10):
            try:
                self.admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                return
            except Exception:  # an autovacuum worker may hold it: wait and retry
                time.sleep(0.2 * (attempt + 1))

    def settle(self) -> None:
        """Before a timed phase: the writes of the phase before on disk, so that it does not
        pay for them (PostgreSQL writes dirty pages back in the background, and the OS its
        files). ``CHECKPOINT`` needs the ``pg_checkpoint`` role (.ci/run grants it); without
        it, only the OS's writes are flushed, and :attr:`checkpoints` says so."""
        os.sync()
        if self.checkpoints:
            try:
                self.admin.execute("CHECKPOINT")
            except psycopg.errors.InsufficientPrivilege:
                self.checkpoints = False

    def close(self) -> None:
        for name in reversed(self.made):
            self.drop(name)
        self.admin.close()


def prepare_postgres(pg: Postgres, learners: Sequence[Learner]) -> tuple[str, str, str]:
    """A migrated template database with ``learners`` and the client: its name, key, secret."""
    name = pg.create("template")
    url = pg.url(name)
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    key, secret = seed(url, learners)
    return name, key, secret


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def cpu_seconds(self) -> dict[int, float]:
        """User + system CPU seconds so far of the server and of each of its descendants."""
        return _tree_cpu(self.process.pid)


def _tree_cpu(root: int) -> dict[int, float]:
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        # After the name: state, ppid, ... utime and stime are fields 14 and 15 of stat(5).
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    found: dict[int, float] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        found[pid] = stats.get(pid, (0, 0.0))[1]
        todo.extend(child for child, (parent, _) in stats.items() if parent == pid)
    return found


def backends_cpu(database: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to ``database`` (its title)."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or f" {database} " not in (
                (entry / "cmdline").read_bytes().decode(errors="replace")
            ):
                continue
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    return found


def machine_busy() -> float:
    """CPU seconds the whole machine spent not idle so far (all cores, /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@contextmanager
def running_server(
    database_url: str, *, workers: int, workdir: Path, tag: str, profile: Path | None
) -> Iterator[Server]:
    port = free_port()
    env = {
        **os.environ,
        "GARDIEN_DATABASE_URL": database_url,
        "GARDIEN_PUBLIC_URL": HOME_PAGE,
    }
    command = [sys.executable, "-m", "gardien", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
        command[1:1] = ["-m", "cProfile", "-o", str(profile / f"{tag}.prof")]
    log = workdir / f"server-{tag}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_healthy(server, workers)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(server: Server, workers: int, timeout: float = 60.0) -> None:
    """Until the server answers ``/health`` and each of its ``workers`` has started (one may
    answer while another still imports: connections made then would all go to the first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            healthy = httpx.get(f"{server.base_url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            healthy = False
        started = server.log.read_text(errors="replace").count("Application startup complete")
        if healthy and started >= workers:
            return
        time.sleep(0.1)
    tail = server.log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"the server did not answer /health; its output:\n{tail}")


# --- posting -----------------------------------------------------------------------------------


@dataclass
class Load:
    seconds: float
    latencies: list[float]
    statements: int
    requests: int
    server_cpu: float
    server_processes: list[float]  # CPU of each process of the server (> 0.05 s)
    client_cpu: float
    machine_cpu: float  # CPU of the whole machine: server, clients, PostgreSQL, the rest
    database_cpu: float | None  # CPU of the PostgreSQL backends serving the server
    failures: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.statements / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _headers(key: str, secret: str) -> dict[str, str]:
    return {
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
    }


def _post(client: httpx.Client, batch: Batch) -> tuple[float, str | None]:
    """Latency of one POST, and what went wrong (None if it answered 200 with the ids)."""
    started = time.perf_counter()
    try:
        response = client.post("/xapi/statements", content=batch.body)
    except httpx.HTTPError as error:
        return time.perf_counter() - started, f"{type(error).__name__}: {error}"
    latency = time.perf_counter() - started
    if response.status_code != 200:
        return latency, f"HTTP {response.status_code}: {response.text[:300]}"
    ids = orjson.loads(response.content)
    if len(ids) != len(batch.ids) or any(
        sent is not None and sent != got for sent, got in zip(batch.ids, ids, strict=False)
    ):
        return latency, "the ids answered are not the ids sent"
    return latency, None


def post_all(
    server: Server,
    headers: dict[str, str],
    warmup: Sequence[Batch],
    batches: Sequence[Batch],
    clients: int,
    database: str | None = None,
    settle: Callable[[], None] = os.sync,
) -> Load:
    """Warm-up batches one by one, untimed; then ``batches`` from ``clients`` threads, timed.

    ``database``: the name of the PostgreSQL database the server uses, to measure the CPU of
    its backends. ``settle`` runs after the warm-up, before the clock starts.
    """
    failures: list[str] = []
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=120) as client:
        for batch in warmup:
            _, problem = _post(client, batch)
            if problem is not None:
                failures.append(f"warm-up: {problem}")
    counter = itertools.count()
    latencies = [0.0] * len(batches)
    ready = threading.Barrier(clients + 1)

    def work() -> None:
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=120) as client:
            client.get("/xapi/about")  # opens the keep-alive connection before the clock starts
            ready.wait()
            while (index := next(counter)) < len(batches):
                latencies[index], problem = _post(client, batches[index])
                if problem is not None:
                    failures.append(f"batch {index}: {problem}")

    settle()
    threads = [threading.Thread(target=work, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    server_cpu, client_cpu, busy = server.cpu_seconds(), time.process_time(), machine_busy()
    backends = backends_cpu(database) if database else {}
    with Timer() as timer:
        for thread in threads:
            thread.join()
    busy = machine_busy() - busy
    backends_after = backends_cpu(database) if database else {}
    server_after = server.cpu_seconds()
    per_process = [server_after[pid] - server_cpu.get(pid, 0.0) for pid in server_after]
    return Load(
        seconds=timer.seconds,
        latencies=latencies,
        statements=sum(len(b.ids) for b in batches),
        requests=len(batches),
        server_cpu=sum(per_process),
        server_processes=[cpu for cpu in per_process if cpu >= 0.05],
        client_cpu=time.process_time() - client_cpu,
        machine_cpu=busy,
        database_cpu=(
            sum(cpu - backends.get(pid, 0.0) for pid, cpu in backends_after.items())
            if database
            else None
        ),
        failures=failures,
    )


# --- the raw baseline --------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    name: str
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def _batches(rows: Sequence[tuple[Any, ...]], size: int) -> Iterator[Sequence[tuple[Any, ...]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _last_activity(chunk: Sequence[tuple[Any, ...]]) -> list[tuple[Any, Any, Any]]:
    """The server's last-activity updates for one batch: (at, learner_id, at) per learner.

    The activity instant is the statement's timestamp, or the time it was stored if later
    (instants compare as their stored text on SQLite and as datetimes on PostgreSQL).
    """
    latest: dict[int, Any] = {}
    for row in chunk:
        at = min(row[TIMESTAMP], row[STORED_AT])
        learner_id = row[LEARNER_ID]
        if learner_id not in latest or at > latest[learner_id]:
            latest[learner_id] = at
    return [(at, learner_id, at) for learner_id, at in latest.items()]


SQLITE_INSERT = insert_sql(activity_statement, COLUMNS)
SQLITE_UPDATE = "UPDATE learner SET last_activity_at = ? WHERE id = ? AND last_activity_at < ?"


def read_sqlite_rows(path: Path) -> list[tuple[Any, ...]]:
    """The rows the server stored, as stored, in the order it stored them."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute(
            f"SELECT {', '.join(quote(c) for c in COLUMNS)} FROM activity_statement ORDER BY id"
        ).fetchall()
    finally:
        connection.close()


def raw_sqlite(
    pristine: Path,
    target: Path,
    rows: Sequence[tuple[Any, ...]],
    warm_rows: int,
    *,
    batch: int | None,
    updates: bool,
    name: str,
) -> Raw:
    """``executemany`` of ``rows`` into a fresh copy of ``pristine``, ``batch`` rows a txn."""
    copy_database(pristine, target)
    warm(target)
    connection = connect(target)
    try:

        def insert(chunk: Sequence[tuple[Any, ...]]) -> None:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(SQLITE_INSERT, chunk)
            if updates:
                connection.executemany(SQLITE_UPDATE, _last_activity(chunk))
            connection.execute("COMMIT")

        for chunk in _batches(rows[:warm_rows], batch or len(rows)):
            insert(chunk)
        timed = rows[warm_rows:]
        os.sync()  # the phase before's writes on disk first, not during this one
        with Timer() as timer:
            for chunk in _batches(timed, batch or len(timed)):
                insert(chunk)
        (count,) = connection.execute("SELECT count(*) FROM activity_statement").fetchone()
    finally:
        connection.close()
    if count != len(rows):
        raise RuntimeError(f"{name}: {count} rows in the table, {len(rows)} inserted")
    return Raw(name, len(timed), timer.seconds)


PG_COLUMNS = ", ".join(quote(c, "postgresql") for c in COLUMNS)


def read_postgres_rows(url: str) -> list[tuple[Any, ...]]:
    # jsonb as its text, as COPY and INSERT take it back.
    listed = ", ".join(
        f"{quote(c, 'postgresql')}::text"
        if isinstance(activity_statement.c[c].type, JSON)
        else quote(c, "postgresql")
        for c in COLUMNS
    )
    with psycopg.connect(url) as connection:
        return connection.execute(f"SELECT {listed} FROM activity_statement ORDER BY id").fetchall()


def raw_postgres(
    pg: Postgres,
    template: str,
    rows: Sequence[tuple[Any, ...]],
    warm_rows: int,
    *,
    batch: int | None,
    updates: bool,
    copy: bool,
    name: str,
    suffix: str,
) -> Raw:
    """COPY (or INSERT) of ``rows`` into a fresh copy of ``template``, ``batch`` rows a txn."""
    database = pg.create(suffix, template=template)
    try:
        with psycopg.connect(pg.url(database)) as connection:
            cursor = connection.cursor()
            insert_rows = insert_sql(activity_statement, COLUMNS, dialect="postgresql")
            update_sql = SQLITE_UPDATE.replace("?", "%s")

            def insert(chunk: Sequence[tuple[Any, ...]]) -> None:
                with connection.transaction():
                    if copy:
                        with cursor.copy(
                            f"COPY activity_statement ({PG_COLUMNS}) FROM STDIN"
                        ) as writer:
                            for row in chunk:
                                writer.write_row(row)
                    else:
                        cursor.executemany(insert_rows, chunk)
                    if updates:
                        cursor.executemany(update_sql, _last_activity(chunk))

            for chunk in _batches(rows[:warm_rows], batch or len(rows)):
                insert(chunk)
            timed = rows[warm_rows:]
            pg.settle()
            with Timer() as timer:
                for chunk in _batches(timed, batch or len(timed)):
                    insert(chunk)
            (count,) = connection.execute("SELECT count(*) FROM activity_statement").fetchone()
    finally:
        pg.drop(database)
    if count != len(rows):
        raise RuntimeError(f"{name}: {count} rows in the table, {len(rows)} inserted")
    return Raw(name, len(timed), timer.seconds)


# --- one backend -------------------------------------------------------------------------------


@dataclass
class Outcome:
    backend: str
    load: Load
    raws: list[Raw]  # empty when the HTTP phase failed

    @property
    def reference(self) -> Raw:
        return self.raws[0]

    @property
    def ratio(self) -> float:
        """HTTP statements/s over the reference raw inserts' (the target's ratio)."""
        return self.load.rate / self.reference.rate


def _print_load(load: Load, clients: int, workers: int) -> None:
    print(
        f"  HTTP: {load.statements:,} statements in {load.requests:,} requests,"
        f" {clients} clients, {workers} worker(s): {load.seconds:.2f} s,"
        f" {load.rate:,.0f} statements/s, {load.requests / load.seconds:,.1f} requests/s"
    )
    print(
        f"        latency p50 {load.percentile(50) * 1000:.1f} ms,"
        f" p95 {load.percentile(95) * 1000:.1f} ms, max {max(load.latencies) * 1000:.1f} ms"
    )
    cores = " + ".join(f"{cpu / load.seconds:.2f}" for cpu in load.server_processes)
    print(
        f"        CPU in cores: server {load.server_cpu / load.seconds:.2f}"
        + (f" ({cores} by process)" if len(load.server_processes) > 1 else "")
        + (
            f", PostgreSQL backends {load.database_cpu / load.seconds:.2f}"
            if load.database_cpu is not None
            else ""
        )
        + f", clients {load.client_cpu / load.seconds:.2f},"
        f" whole machine {load.machine_cpu / load.seconds:.2f} of {os.cpu_count()}"
    )
    print(
        f"        server CPU per request {load.server_cpu / load.requests * 1000:.1f} ms,"
        f" per statement {load.server_cpu / load.statements * 1e6:.0f} µs"
    )


def _print_raw(raw: Raw, load: Load) -> None:
    print(
        f"  raw {raw.name + ':':<44} {raw.seconds:6.2f} s, {raw.rate:>9,.0f} rows/s;"
        f" HTTP/raw {load.rate / raw.rate:.2f}"
    )


def _check(load: Load, stored: int, sent: int, log: Path) -> bool:
    ok = True
    if load.failures:
        print(f"  FAILED: {len(load.failures)} POST(s) went wrong; the first:", file=sys.stderr)
        for problem in load.failures[:5]:
            print(f"    {problem}", file=sys.stderr)
        # The server's last error: the exception line of its last traceback.
        errors = [
            line
            for line in log.read_text(errors="replace").splitlines()
            if "Error" in line or "Exception" in line
        ]
        if errors:
            print(f"  server log ({len(errors)} error lines), last: {errors[-1]}", file=sys.stderr)
        ok = False
    if stored != sent:
        print(f"  FAILED: {stored:,} rows stored, {sent:,} statements sent", file=sys.stderr)
        ok = False
    return ok


def run_sqlite(
    args: argparse.Namespace,
    workdir: Path,
    learners: Sequence[Learner],
    warmup: Sequence[Batch],
    batches: Sequence[Batch],
) -> Outcome:
    print("SQLite")
    pristine = workdir / "pristine.sqlite3"
    with Timer() as timer:
        key, secret = prepare_sqlite(pristine, learners)
    print(f"  {len(learners):,} learners and a client in a fresh file: {timer.seconds:.1f} s")
    served = workdir / "served.sqlite3"
    copy_database(pristine, served)
    warm(served)
    with running_server(
        f"sqlite:///{served}",
        workers=args.workers,
        workdir=workdir,
        tag="sqlite",
        profile=args.profile_server,
    ) as server:
        load = post_all(server, _headers(key, secret), warmup, batches, args.clients)
        # The server checkpoints the WAL on a thread of its own (store/checkpoints.py): the
        # file's size is the most it ever held, which shows whether that thread kept up.
        wal = Path(f"{served}-wal")
        wal_bytes = wal.stat().st_size if wal.exists() else 0
    sent = sum(len(b.ids) for b in (*warmup, *batches))
    rows = read_sqlite_rows(served)
    print(f"  WAL file at the last answer: {wal_bytes / 2**20:,.1f} MiB (its largest extent)")
    _print_load(load, args.clients, args.workers)
    if not _check(load, len(rows), sent, server.log):
        return Outcome("SQLite", load, [])
    warm_rows = sum(len(b.ids) for b in warmup)
    target = workdir / "raw.sqlite3"
    raws = []
    for name, size, updates in (
        (f"executemany, {args.batch} rows a transaction", args.batch, False),
        ("same + last-activity UPDATEs", args.batch, True),
        ("executemany, one transaction", None, False),
    ):
        raws.append(
            raw_sqlite(pristine, target, rows, warm_rows, batch=size, updates=updates, name=name)
        )
        _print_raw(raws[-1], load)
        for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
    return Outcome("SQLite", load, raws)


def run_postgres(
    args: argparse.Namespace,
    url: str,
    workdir: Path,
    learners: Sequence[Learner],
    warmup: Sequence[Batch],
    batches: Sequence[Batch],
) -> Outcome:
    print("PostgreSQL")
    pg = Postgres(url)
    try:
        with Timer() as timer:
            template, key, secret = prepare_postgres(pg, learners)
        print(
            f"  {len(learners):,} learners and a client in a fresh database: {timer.seconds:.1f} s"
        )
        served = pg.create("served", template=template)
        with running_server(
            pg.url(served),
            workers=args.workers,
            workdir=workdir,
            tag="postgresql",
            profile=args.profile_server,
        ) as server:
            load = post_all(
                server,
                _headers(key, secret),
                warmup,
                batches,
                args.clients,
                database=served,
                settle=pg.settle,
            )
        sent = sum(len(b.ids) for b in (*warmup, *batches))
        rows = read_postgres_rows(pg.url(served))
        pg.drop(served)
        _print_load(load, args.clients, args.workers)
        if not _check(load, len(rows), sent, server.log):
            return Outcome("PostgreSQL", load, [])
        warm_rows = sum(len(b.ids) for b in warmup)
        raws = []
        for n, (name, size, updates, copy) in enumerate(
            (
                (f"COPY, {args.batch} rows a transaction", args.batch, False, True),
                ("same + last-activity UPDATEs", args.batch, True, True),
                (f"INSERT executemany, {args.batch} rows a txn", args.batch, False, False),
                ("COPY, one transaction", None, False, True),
            )
        ):
            raws.append(
                raw_postgres(
                    pg,
                    template,
                    rows,
                    warm_rows,
                    batch=size,
                    updates=updates,
                    copy=copy,
                    name=name,
                    suffix=f"raw{n}",
                )
            )
            _print_raw(raws[-1], load)
        if not pg.checkpoints:
            print(
                "  (no CHECKPOINT before the timed phases: the role lacks pg_checkpoint, so a"
                " phase may pay for the writes of the one before)"
            )
        return Outcome("PostgreSQL", load, raws)
    finally:
        pg.close()


def summary(outcomes: Sequence[Outcome], args: argparse.Namespace) -> None:
    print()
    print(
        f"Summary: {args.statements:,} statements in batches of {args.batch},"
        f" {args.clients} clients, {args.workers} server worker(s), {args.learners:,} learners"
        + (f", {args.repeat} rounds" if args.repeat > 1 else "")
    )
    header = (
        f"{'backend':<13} {'HTTP st/s':>10} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}"
        f" {'raw batch/s':>12} {'ratio':>6} {'raw+upd/s':>10} {'ratio':>6}"
        f" {'raw 1 txn/s':>12} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    rounds: dict[str, int] = {}
    for o in outcomes:
        rounds[o.backend] = rounds.get(o.backend, 0) + 1
        name = o.backend if args.repeat == 1 else f"{o.backend} {rounds[o.backend]}"
        if not o.raws:
            print(f"{name:<13} failed")
            continue
        load = o.load
        one = o.raws[-1]
        print(
            f"{name:<13} {load.rate:>10,.0f} {load.requests / load.seconds:>7,.1f}"
            f" {load.percentile(50) * 1000:>7.1f} {load.percentile(95) * 1000:>7.1f}"
            f" {o.raws[0].rate:>12,.0f} {load.rate / o.raws[0].rate:>6.2f}"
            f" {o.raws[1].rate:>10,.0f} {load.rate / o.raws[1].rate:>6.2f}"
            f" {one.rate:>12,.0f} {load.rate / one.rate:>6.2f}"
        )
    print()
    for backend in dict.fromkeys(o.backend for o in outcomes):
        done = [o for o in outcomes if o.backend == backend and o.raws]
        if not done:
            continue
        o = median_round(done)
        ratio = o.ratio
        if len(done) > 1:
            ratios = ", ".join(f"{r.ratio:.2f}" for r in done)
            print(f"{backend}: ratios of the rounds {ratios}; the median round's figures follow")
        figure(
            f"{backend}: HTTP",
            o.load.rate,
            "statements/s",
            baseline=f"raw {o.reference.name}",
            base=o.reference.rate,
        )
        if backend == "SQLite":
            met = "met" if o.load.rate >= TARGET_HTTP else "NOT met"
            print(
                f"target: >= {TARGET_HTTP:,.0f} statements/s over HTTP on SQLite:"
                f" {o.load.rate:,.0f} ({met})"
            )
        met = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(
            f"target: HTTP / raw ({o.reference.name}) >= {TARGET_RATIO} on {backend}:"
            f" {ratio:.2f} ({met})"
        )
    if args.profile_server is not None:
        print(f"(server under cProfile: its figures are the profiler's; see {args.profile_server})")


def median_round(done: Sequence[Outcome]) -> Outcome:
    """The round whose ratio HTTP / raw is the median (the lower middle one of an even count)."""
    ordered = sorted(done, key=lambda o: o.ratio)
    return ordered[(len(ordered) - 1) // 2]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--statements", type=int, default=60_000, help="timed statements")
    parser.add_argument("--batch", type=int, default=50, help="statements per POST")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--warmup", type=int, default=4, help="untimed batches posted first")
    parser.add_argument(
        "--workers",
        type=int,
        default=WORKERS,
        help="worker processes of gardien serve (default: deploy/gardien.env.example's)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of each backend, alternated; the summary gives each round and the median",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--postgres-url",
        default=postgres_admin_url(),
        help="an admin URL that may create databases (default: $GARDIEN_BENCH_POSTGRES_URL,"
        " empty for none, else $GARDIEN_TEST_POSTGRES_URL, else the local development server)",
    )
    parser.add_argument(
        "--profile-server", type=Path, default=None, help="run the server under cProfile"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="for the SQLite files")
    args = parse_args(
        parser,
        argv,
        smoke={"learners": 200, "statements": 1_000, "clients": 2, "warmup": 1, "repeat": 2},
    )
    if args.profile_server is not None and args.workers > 1:
        parser.error("--profile-server profiles one process: use --workers 1")
    sizes = (args.learners, args.statements, args.batch, args.clients, args.workers, args.repeat)
    if min(sizes) < 1:
        parser.error(
            "--learners, --statements, --batch, --clients, --workers and --repeat must be >= 1"
        )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    with Timer() as timer:
        learners = make_learners(args.learners, args.seed)
        statements = make_statements(
            learners, args.warmup * args.batch + args.statements, args.seed
        )
        all_batches = make_batches(statements, args.batch)
    warmup, batches = all_batches[: args.warmup], all_batches[args.warmup :]
    size = sum(len(b.body) for b in batches)
    print(
        f"{len(learners):,} learners, {len(statements):,} statements"
        f" ({args.warmup} warm-up batches, then {len(batches):,} batches of {args.batch},"
        f" {size / len(batches) / 1024:.1f} KiB a body) generated in {timer.seconds:.1f} s"
    )
    busy = machine_busy()
    time.sleep(1.0)
    busy = machine_busy() - busy
    print(
        f"machine busy before the run: {busy:.2f} of {os.cpu_count()} cores"
        + (" (other work is running: the figures will be lower)" if busy > 0.2 else "")
    )
    outcomes: list[Outcome] = []
    workdir = Path(tempfile.mkdtemp(prefix="gardien-ingest-", dir=args.workdir))
    try:
        # Rounds alternate the backends, so that a slow spell of the machine falls on both.
        for number in range(1, args.repeat + 1):
            if args.repeat > 1:
                print(f"Round {number} of {args.repeat}")
            here = workdir / f"round-{number}"  # each round starts from fresh files
            here.mkdir()
            if not args.skip_sqlite:
                outcomes.append(run_sqlite(args, here, learners, warmup, batches))
            if not args.skip_postgres and args.postgres_url:
                outcomes.append(
                    run_postgres(args, args.postgres_url, here, learners, warmup, batches)
                )
            elif number == 1:
                why = (
                    "--skip-postgres"
                    if args.skip_postgres
                    else "no URL (empty $GARDIEN_BENCH_POSTGRES_URL)"
                )
                print(f"PostgreSQL: skipped ({why})")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    summary(outcomes, args)
    return 0 if all(o.raws for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())

"""The erasure ledger and its replay, on SQLite and PostgreSQL (docs/backups.md).

A copy of the database taken before an erasure stands for a restored backup (on PostgreSQL, a
database created from the original as its template, as a managed service's restore gives a new
instance): it holds the person again and lacks the ledger's entry, the server's check refuses
it, the replay erases the person and records the entry, and the check then passes.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from gardien.bootstrap import bootstrap
from gardien.domain.clock import FixedClock
from gardien.errors import ErasureLedgerError, ReplayNeededError
from gardien.services.erasure import erase_subject
from gardien.services.erasure_replay import check_replayed, pending_entries, replay_erasures
from gardien.services.objection import object_to_commercial
from gardien.services.ready import ErasuresReplayed
from gardien.services.subject_export import export_subject
from gardien.services.website import newsletter
from gardien.services.website.newsletter import Site
from gardien.services.website.tokens import Purpose, make_token
from gardien.settings import Settings
from gardien.store.engine import make_engine
from gardien.store.erasure_applied import lineage_of
from gardien.store.erasure_ledger import FileErasureLedger, S3ErasureLedger
from gardien.store.migrate import upgrade
from gardien.store.offsite import offsite_s3_client
from gardien.store.tables import (
    erasure_applied,
    learner,
    newsletter_subscription,
    subject_request,
)
from gardien.store.uow import UnitOfWork
from tests.support.lookup import LOOKUP
from tests.support.retention_samples import (
    contract_doc,
    default_policy,
    document,
    learner_doc,
    load,
    message_doc,
)
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, running_s3

AS_OF = date(2026, 6, 1)
EMAIL = "ombeline.kerhervy@example.org"
OTHER = "gaspard.lenoir@example.org"


def people() -> dict[str, object]:
    return document(
        learners=[
            learner_doc(EMAIL, "Ombeline", "Kerhervy", "2026-05-02T09:00:00Z"),
            learner_doc(OTHER, "Gaspard", "Lenoir", "2026-05-03T09:00:00Z"),
        ],
        contracts=[contract_doc("CT-1", "online_payment", "2026-04-30", learners=[EMAIL, OTHER])],
        contact_messages=[
            message_doc(
                "Ombeline Kerhervy",
                EMAIL,
                received="2026-05-10T09:00:00Z",
                last_exchange="2026-05-10T09:00:00Z",
            )
        ],
    )


def erase(engine: Engine, ledger: FileErasureLedger | S3ErasureLedger, email: str) -> None:
    erase_subject(
        email,
        uow=UnitOfWork(engine, write=True),
        policy=default_policy(),
        clock=FixedClock.on(AS_OF),
        lookup=LOOKUP,
        ledger=ledger,
    )


def held(engine: Engine, email: str) -> bool:
    exported = export_subject(
        email,
        uow=UnitOfWork(engine),
        policy=default_policy(),
        clock=FixedClock.on(AS_OF),
        lookup=LOOKUP,
    )
    return bool(exported["found"])


def replay(engine: Engine, ledger: FileErasureLedger | S3ErasureLedger) -> str:
    return replay_erasures(
        engine=engine,
        ledger=ledger,
        policy=default_policy(),
        clock=FixedClock.on(AS_OF),
        lookup=LOOKUP,
    ).summary()


@contextmanager
def copy_of(url: str, engine: Engine, tmp_path: Path) -> Iterator[str]:
    """A copy of the database at ``url``: what a restore of a backup taken now gives."""
    if url.startswith("sqlite"):
        path = tmp_path / f"restored-{uuid.uuid4().hex[:8]}.sqlite3"
        source = sqlite3.connect(url.removeprefix("sqlite:///"))
        target = sqlite3.connect(path)
        source.backup(target)
        target.close()
        source.close()
        yield f"sqlite:///{path}"
        return
    engine.dispose()  # a template must have no other connection
    parsed = make_url(url)
    name = f"gardien_r_{uuid.uuid4().hex[:12]}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE {name} TEMPLATE "{parsed.database}"'))
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_a_restored_copy_is_refused_until_the_replay_erases_the_person_again(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    load(engine, people())
    ledger = FileErasureLedger(tmp_path / "ledger")
    with copy_of(database_url, engine, tmp_path) as restored_url:
        erase(engine, ledger, EMAIL)
        assert not held(engine, EMAIL)
        check_replayed(engine, ledger)  # the live database applied its own erasure

        restored = make_engine(restored_url)
        try:
            assert held(restored, EMAIL)  # the restore brought her back
            with pytest.raises(ReplayNeededError, match="gardien erasure replay"):
                check_replayed(restored, ledger)
            said = replay(restored, ledger)
            assert "1 replayed: 1 found in the database" in said
            assert "0 no longer held" in said
            assert "@" not in said
            assert not held(restored, EMAIL)
            assert held(restored, OTHER)  # nobody else
            check_replayed(restored, ledger)
            assert "nothing to replay" in replay(restored, ledger)  # idempotent
        finally:
            restored.dispose()


def test_an_entry_whose_person_is_gone_is_marked_applied(engine: Engine, tmp_path: Path) -> None:
    load(engine, people())
    ledger = FileErasureLedger(tmp_path / "ledger")
    erase(engine, ledger, "nobody@example.org")  # held nowhere, recorded all the same
    with engine.begin() as connection:
        connection.execute(erasure_applied.delete())  # as a database from before it
    assert len(pending_entries(engine, ledger)[1]) == 1
    said = replay(engine, ledger)
    assert "0 found in the database" in said and "1 no longer held" in said
    assert pending_entries(engine, ledger) == (1, [])
    assert held(engine, EMAIL) and held(engine, OTHER)


def test_an_erasure_the_ledger_cannot_record_erases_nothing(engine: Engine, tmp_path: Path) -> None:
    load(engine, people())
    blocked = tmp_path / "ledger"
    blocked.write_text("a file where the folder should be")
    with pytest.raises(ErasureLedgerError):
        erase(engine, FileErasureLedger(blocked), EMAIL)
    assert held(engine, EMAIL)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(erasure_applied)) == 0
        assert connection.scalar(select(func.count()).where(learner.c.email == EMAIL)) == 1


def test_the_bucket_ledger_never_replaces_an_entry_and_feeds_the_check(
    engine: Engine, tmp_path: Path
) -> None:
    load(engine, people())
    with running_s3() as s3:
        settings = Settings(
            offsite_s3_endpoint=s3.endpoint,
            offsite_s3_region=REGION,
            offsite_s3_access_key=ACCESS_KEY,
            offsite_s3_secret_key=SECRET_KEY,  # type: ignore[arg-type]
            erasure_ledger_s3_bucket=s3.new_bucket(),
        )
        ledger = bootstrap(settings, engine=engine).ledger
        assert isinstance(ledger, S3ErasureLedger)
        erase(engine, ledger, EMAIL)
        lineage = lineage_of(engine)
        [entry_id] = list(ledger.ids(lineage))
        entry = ledger.read(lineage, entry_id)
        with pytest.raises(ErasureLedgerError, match="exists already"):
            ledger.append(lineage, entry)  # the service refuses the conditional put
        client = offsite_s3_client(settings)
        [stored] = client.list_objects_v2(Bucket=ledger.bucket)["Contents"]
        body = client.get_object(Bucket=ledger.bucket, Key=stored["Key"])["Body"].read()
        assert b"@" not in body and b"ombeline" not in body.lower()
        check_replayed(engine, ledger)
        with engine.begin() as connection:
            connection.execute(erasure_applied.delete())
        with pytest.raises(ReplayNeededError, match="s3://"):
            check_replayed(engine, ledger)


def test_a_new_database_is_not_held_to_the_erasures_of_another(
    engine: Engine, tmp_path: Path
) -> None:
    load(engine, people())
    ledger = FileErasureLedger(tmp_path / "ledger")
    erase(engine, ledger, EMAIL)
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    try:
        upgrade(fresh)
        assert lineage_of(fresh) != lineage_of(engine)
        check_replayed(fresh, ledger)  # a new demo beside an old one's ledger starts
        assert pending_entries(fresh, ledger) == (0, [])
    finally:
        fresh.dispose()


def test_every_erasure_path_gets_the_ledger(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'g.sqlite3'}")
    container = bootstrap(settings)
    assert container.accounts().ledger is container.ledger  # portal and console
    assert isinstance(container.ledger, FileErasureLedger)
    assert container.ledger.root == tmp_path / "erasure-ledger"


def test_an_unsubscription_is_kept_through_a_restore(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    ledger = FileErasureLedger(tmp_path / "ledger")
    site = Site(
        policy=default_policy(),
        clock=FixedClock.on(AS_OF),
        secret="newsletter-test-secret",
        public_url="https://www.example.org",
        ledger=ledger,
        lookup=LOOKUP,
    )
    for email in (EMAIL, OTHER):
        newsletter.subscribe(
            UnitOfWork(engine, write=True),
            site,
            email=email,
            lang="fr",
            source="website:/newsletter",
            wording="J'accepte de recevoir la lettre d'information.",
        )
    with engine.connect() as connection:
        ids = dict(
            connection.execute(
                select(newsletter_subscription.c.email, newsletter_subscription.c.id)
            ).all()
        )
    with copy_of(database_url, engine, tmp_path) as restored_url:
        token = make_token(
            site.secret, Purpose.UNSUBSCRIBE, subscription_id=ids[EMAIL], email=EMAIL
        )
        assert newsletter.unsubscribe(UnitOfWork(engine, write=True), site, token) is (
            newsletter.Outcome.UNSUBSCRIBED
        )
        check_replayed(engine, ledger)
        restored = make_engine(restored_url)
        try:
            with pytest.raises(ReplayNeededError):
                check_replayed(restored, ledger)
            said = replay(restored, ledger)
            assert "1 newsletter subscription(s) unsubscribed again" in said
            with restored.connect() as connection:
                left = connection.scalars(select(newsletter_subscription.c.email)).all()
            assert left == [OTHER]  # she is not subscribed again; he still is
            check_replayed(restored, ledger)
        finally:
            restored.dispose()
    [stored] = [p for p in (tmp_path / "ledger").rglob("*.json")]
    assert b"@" not in stored.read_bytes()


def test_an_objection_is_kept_through_a_restore(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    load(engine, people())
    settings = Settings(database_url=database_url, erasure_ledger_dir=tmp_path / "ledger")
    services = bootstrap(settings, engine=engine).accounts()
    site = Site(
        policy=default_policy(),
        clock=FixedClock.on(AS_OF),
        secret="newsletter-test-secret",
        public_url="https://www.example.org",
    )
    newsletter.subscribe(
        UnitOfWork(engine, write=True),
        site,
        email=EMAIL,
        lang="fr",
        source="website:/newsletter",
        wording="J'accepte de recevoir la lettre d'information.",
    )
    with copy_of(database_url, engine, tmp_path) as restored_url:
        object_to_commercial(
            UnitOfWork(engine, write=True), services, actor="learner:1", email=EMAIL
        )
        assert services.ledger is not None
        check_replayed(engine, services.ledger)
        restored = make_engine(restored_url)
        try:
            with pytest.raises(ReplayNeededError):
                check_replayed(restored, services.ledger)
            said = replay(restored, services.ledger)
            assert "1 objection(s) to commercial e-mail applied again" in said
            with restored.connect() as connection:
                assert connection.scalars(select(newsletter_subscription.c.email)).all() == []
                [(kind, status, check)] = connection.execute(
                    select(
                        subject_request.c.kind,
                        subject_request.c.status,
                        subject_request.c.identity_check,
                    ).where(subject_request.c.email == EMAIL)
                ).all()
            assert (kind, status, check) == ("objection", "completed", "session")
            assert held(restored, EMAIL)  # an objection is not an erasure: her account stays
        finally:
            restored.dispose()


def test_the_worker_factory_refuses_a_database_lacking_erasures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gardien.web.app import app_from_environment

    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    served = make_engine(url)
    try:
        upgrade(served)
        load(served, people())
        ledger = FileErasureLedger(tmp_path / "erasure-ledger")  # the default, beside the file
        erase(served, ledger, EMAIL)
        with served.begin() as connection:
            connection.execute(erasure_applied.delete())  # as a backup from before it
    finally:
        served.dispose()
    monkeypatch.setenv("GARDIEN_DATABASE_URL", url)
    with pytest.raises(ReplayNeededError, match="gardien erasure replay"):  # no worker starts
        app_from_environment()


def test_a_database_older_than_the_ledger_adopts_the_lineage_it_replaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gardien.cli.main import main

    ledger_dir = tmp_path / "ledger"
    engines = {}
    for name in ("live", "old"):
        engines[name] = make_engine(f"sqlite:///{tmp_path / name}.sqlite3")
        upgrade(engines[name])
        load(engines[name], people())
    try:
        live, old = engines["live"], engines["old"]
        erase(live, FileErasureLedger(ledger_dir), EMAIL)
        # "old" stands for a backup from before migration 0017: upgraded, it got a lineage of
        # its own, and the ledger's entries are not its own.
        monkeypatch.setenv("GARDIEN_DATABASE_URL", f"sqlite:///{tmp_path / 'old.sqlite3'}")
        monkeypatch.setenv("GARDIEN_ERASURE_LEDGER_DIR", str(ledger_dir))
        capsys.readouterr()
        assert main(["erasure", "status"]) == 0
        said = capsys.readouterr().out
        assert f"lineage {lineage_of(live)} (another database): 1 entries" in said
        assert held(old, EMAIL)
        assert main(["erasure", "replay", "--adopt-lineage", lineage_of(live)]) == 0
        assert "1 found in the database" in capsys.readouterr().out
        assert lineage_of(old) == lineage_of(live)
        assert not held(old, EMAIL) and held(old, OTHER)
    finally:
        for engine in engines.values():
            engine.dispose()


def _ready(app: Any) -> httpx.Response:
    async def request() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/ready")

    return asyncio.run(request())


def test_ready_refuses_traffic_to_a_restored_database_until_the_replay(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """A backup restored under a server that already runs (no start-up check there): ``/ready``
    answers 503 until ``gardien erasure replay`` has run, then 200 at the next probe."""
    from gardien.web.app import create_app

    load(engine, people())
    ledger = FileErasureLedger(tmp_path / "ledger")
    with copy_of(database_url, engine, tmp_path) as restored_url:
        erase(engine, ledger, EMAIL)
        container = bootstrap(
            Settings(
                secret_key="9Khh5BRCD5exksux6gARMIykS6OxkF84vEfifr6PNhg",
                database_url=restored_url,
                erasure_ledger_dir=tmp_path / "ledger",
            )
        )
        app = create_app(container)
        try:
            answer = _ready(app)
            assert answer.status_code == 503
            [reason] = answer.json()["reasons"]
            assert reason["check"] == "erasures"
            assert reason["detail"].startswith("the erasure ledger holds 1 erasure(s)")
            assert "gardien erasure replay" in reason["detail"]
            assert "@" not in answer.text and "Kerhervy" not in answer.text
            restored = make_engine(restored_url)
            try:
                assert "1 replayed" in replay(restored, ledger)
            finally:
                restored.dispose()
            assert _ready(app).status_code == 200
        finally:
            app.state.container.close()
            container.close()


class _Counted:
    """The file ledger, counting its listings (what the readiness check keeps a while)."""

    def __init__(self, ledger: FileErasureLedger) -> None:
        self.ledger = ledger
        self.listings = 0

    def ids(self, lineage: str) -> Iterator[str]:
        self.listings += 1
        return self.ledger.ids(lineage)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ledger, name)


def test_the_readiness_check_lists_the_ledger_once_a_while_and_survives_its_outage(
    engine: Engine, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    load(engine, people())
    folder = tmp_path / "ledger"
    ledger = FileErasureLedger(folder)
    with copy_of(database_url, engine, tmp_path) as restored_url:
        erase(engine, ledger, EMAIL)
        restored = make_engine(restored_url)
        try:
            now = [0.0]
            counted = _Counted(ledger)
            check = ErasuresReplayed(counted, every=60, clock=lambda: now[0])  # type: ignore[arg-type]
            assert check(restored) is not None
            now[0] = 59.0
            assert check(restored) is not None
            assert counted.listings == 1  # kept within the minute
            now[0] = 61.0
            # The ledger's folder gone and a file in its place: listing it fails.
            folder.rename(tmp_path / "ledger-away")
            folder.write_text("not a folder")
            with caplog.at_level("WARNING", logger="gardien.services.ready"):
                reason = check(restored)
            assert counted.listings == 2
            assert reason is not None and reason.check == "erasures"  # the last listing stands
            assert "could not be listed (ErasureLedgerError)" in caplog.text
            # A process that never listed the ledger is not made unready by its outage.
            assert ErasuresReplayed(FileErasureLedger(folder))(restored) is None
            # The live database applied its own erasure.
            assert ErasuresReplayed(FileErasureLedger(tmp_path / "ledger-away"))(engine) is None
        finally:
            restored.dispose()

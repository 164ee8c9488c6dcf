"""A backup restored after an erasure does not bring the person back (docs/backups.md).

End to end, with real processes: a server holds a person (imported by the command line, a
contact message and a newsletter subscription sent over HTTP, learning statements posted by a
registered platform naming her by ``mbox``); ``gardien backup create`` copies the live database;
``gardien subject erase`` erases her; ``gardien backup restore`` brings the backup back, and her
with it; ``gardien serve`` refuses to start; ``gardien erasure replay`` erases her again; the
server then starts. The bytes of the restored database hold none of her identifiers outside
the record the law keeps, and the ledger holds no address. Once with the backups and the ledger
in folders, once in buckets of an S3-compatible server on loopback.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from gardien.store.engine import make_engine
from gardien.store.migrate import head_revision, upgrade
from tests.support.erased_person import (
    COLLEAGUE,
    DOSSIER,
    EMAIL,
    EMPLOYER,
    FAMILY,
    GIVEN,
    MESSAGE,
    NAME,
    PHONE,
)
from tests.support.import_samples import write
from tests.support.lrs import Activity, post_activity, register_client
from tests.support.raw_bytes import expressions_or_partial_indexes, in_live_rows, leftovers
from tests.support.retention_samples import contract_doc, document, learner_doc, opco_doc
from tests.support.s3 import REGION, S3Server, running_s3
from tests.support.server import free_port, running_server
from tests.support.web import form_post

pytestmark = pytest.mark.e2e

AS_OF = date(2026, 6, 1)
SERVER_NOW = "2026-05-20T10:00:00+00:00"
MODULE = "https://learning.example.org/paths/tonnellerie/modules/m1"


def her_document() -> dict[str, Any]:
    """Her learner account on an OPCO-funded training (the dossier the law keeps holds her
    name), her employer's contact with her phone; her colleague on the same training."""
    return document(
        learners=[
            learner_doc(EMAIL, GIVEN, FAMILY, "2026-05-02T09:00:00Z"),
            learner_doc(COLLEAGUE, "Gaspard", "Lenoir", "2026-05-03T09:00:00Z"),
        ],
        sponsors=[EMPLOYER],
        contracts=[
            contract_doc(
                "CT-TONN",
                "opco",
                "2025-12-15",
                learners=[EMAIL, COLLEAGUE],
                sponsor="ORG-TONN",
                starts_on="2025-09-15",
            )
        ],
        opco_dossiers=[
            opco_doc(DOSSIER, "CT-TONN", EMAIL, NAME, start="2025-09-15", end="2025-12-15"),
        ],
    )


def gardien(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "gardien", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if ok:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(params=["folders", "s3"])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Where backups and the ledger go: folders beside the database, or two buckets."""
    if request.param == "folders":
        yield {}
        return
    with running_s3() as s3:
        yield s3_settings(s3)


def s3_settings(s3: S3Server) -> dict[str, str]:
    from tests.support.s3 import ACCESS_KEY, SECRET_KEY

    return {
        "GARDIEN_OFFSITE_S3_ENDPOINT": s3.endpoint,
        "GARDIEN_OFFSITE_S3_REGION": REGION,
        "GARDIEN_OFFSITE_S3_ACCESS_KEY": ACCESS_KEY,
        "GARDIEN_OFFSITE_S3_SECRET_KEY": SECRET_KEY,
        "GARDIEN_BACKUP_S3_BUCKET": s3.new_bucket(),
        "GARDIEN_ERASURE_LEDGER_S3_BUCKET": s3.new_bucket(),
    }


def stored_objects(env: dict[str, str], bucket: str) -> dict[str, bytes]:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=env["GARDIEN_OFFSITE_S3_ENDPOINT"],
        region_name=REGION,
        aws_access_key_id=env["GARDIEN_OFFSITE_S3_ACCESS_KEY"],
        aws_secret_access_key=env["GARDIEN_OFFSITE_S3_SECRET_KEY"],
    )
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listed
    }


def test_a_restored_backup_does_not_bring_an_erased_person_back(
    tmp_path: Path, place: dict[str, str]
) -> None:
    database = tmp_path / "data" / "gardien.sqlite3"
    database.parent.mkdir()
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    upgrade(engine)
    platform = register_client(engine)
    engine.dispose()
    # Each read by its CREATE INDEX in in_live_rows: a new one asks for a look (and a test).
    assert set(expressions_or_partial_indexes(database)) == {"ix_activity_statement_statement_ref"}
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": SERVER_NOW, **place}

    with running_server(env) as base:
        gardien(env, "import", str(write(tmp_path / "her.json", her_document())))
        contact = {"name": NAME, "email": EMAIL, "message": MESSAGE}
        assert form_post(f"{base}/contact", contact).status_code == 200
        subscribed = form_post(f"{base}/newsletter", {"email": EMAIL, "consent": "yes"})
        assert subscribed.status_code == 200
        at = datetime(2026, 5, 12, 9, 0, tzinfo=UTC)
        post_activity(base, platform, EMAIL, [Activity("attempted", MODULE, at)])
        needles = [EMAIL, GIVEN, FAMILY, PHONE, MESSAGE]
        assert all(count > 0 for count in in_live_rows(database, needles).values())

        # The backup is taken while the server runs, then she is erased.
        made = gardien(env, "backup", "create")
        assert f"revision {head_revision()}" in made.stdout
        erased = gardien(
            env, "subject", "erase", "--email", EMAIL, "--yes", "--as-of", AS_OF.isoformat()
        )
        assert DOSSIER in erased.stdout
        assert in_live_rows(database, [EMAIL])[EMAIL] == 0

    listed = gardien(env, "backup", "list").stdout
    assert f"revision {head_revision()}" in listed and "2026-05-20T10:00:00+00:00" in listed
    # Restoring asks for confirmation; without a terminal, --yes.
    refused = gardien(env, "backup", "restore", "latest", ok=False)
    assert refused.returncode != 0 and "--yes" in refused.stderr
    restored = gardien(env, "backup", "restore", "latest", "--yes")
    assert "erasure replay" in restored.stdout
    assert in_live_rows(database, [EMAIL])[EMAIL] > 0  # she is back in the restored file

    # The server refuses the restored database until the replay has run.
    port = free_port()
    serve = gardien(env, "serve", "--port", str(port), ok=False)
    assert serve.returncode != 0
    assert "gardien erasure replay" in serve.stderr
    assert gardien(env, "erasure", "status", ok=False).returncode == 1

    replayed = gardien(env, "erasure", "replay").stdout
    assert "1 replayed: 1 found in the database" in replayed
    assert EMAIL not in replayed and "@" not in replayed
    assert "0 not applied" in gardien(env, "erasure", "status").stdout

    with running_server(env) as base:
        assert httpx.get(f"{base}/health", timeout=30).status_code == 200

    # The restored file: nothing of her outside the kept dossier's trainee name.
    agent_sha1 = hashlib.sha1(f"mailto:{EMAIL}".encode()).hexdigest()
    scanned = [*needles, f"mailto:{EMAIL}", agent_sha1]
    assert leftovers(database, scanned) == {}
    live = in_live_rows(database, scanned)
    assert (live[GIVEN], live[FAMILY]) == (1, 1)  # the OPCO dossier the law keeps
    assert live[EMAIL] == live[PHONE] == live[MESSAGE] == live[agent_sha1] == 0
    assert in_live_rows(database, [COLLEAGUE])[COLLEAGUE] > 0  # her colleague stays

    # The ledger: keyed pseudonyms only. The backup: encrypted.
    if place:
        ledger = stored_objects(env, place["GARDIEN_ERASURE_LEDGER_S3_BUCKET"])
        backups = stored_objects(env, place["GARDIEN_BACKUP_S3_BUCKET"])
    else:
        folder = database.parent / "erasure-ledger"
        ledger = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        backups = {p.name: p.read_bytes() for p in (database.parent / "backups").iterdir()}
    assert len(ledger) == 1 and len(backups) == 1
    for data in ledger.values():
        assert b"@" not in data  # no address at all, hers or anyone's
    for data in [*ledger.values(), *backups.values()]:
        text = data.lower()
        for needle in [*scanned, "example.org"]:
            assert needle.lower().encode() not in text


def test_backup_refuses_postgresql_and_points_to_the_design_note() -> None:
    env = {"GARDIEN_DATABASE_URL": "postgresql://gardien@127.0.0.1:1/none"}
    done = gardien(env, "backup", "create", ok=False)
    assert done.returncode != 0
    assert "managed" in done.stderr and "docs/backups.md" in done.stderr

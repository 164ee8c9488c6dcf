"""The production path, end to end: a registered e-learning platform posts a learner's
statements over HTTP; the learner's data is then reachable everywhere a person asks for it
(``gardien subject export``, « Mes données », both downloads) and ``gardien subject erase``
removes it all."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import activity_statement, learner
from tests.support.lrs import Activity, credentials, post_activity, register_client
from tests.support.server import running_server
from tests.support.transmission_samples import load_contracts
from tests.support.web import WebClient, csrf_of, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
BOB = "bob.opco@example.org"
MODULE = "https://learning.example.org/paths/fle-a2/modules/m3"
ACTIVITY = (
    Activity("attempted", MODULE, datetime(2026, 5, 12, 9, 0, tzinfo=UTC)),
    Activity("passed", MODULE, datetime(2026, 5, 12, 9, 50, tzinfo=UTC), 0.75),
)


def gardien(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gardien", "--database-url", url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def statement_ids(exported: dict[str, Any]) -> list[str]:
    return [
        record["fields"]["statement_id"]
        for category in exported["categories"]
        for record in category["records"]
        if record["record"] == "activity_statement"
    ]


@pytest.fixture
def served(tmp_path: Any) -> Iterator[tuple[str, str, Engine]]:
    url = f"sqlite:///{tmp_path / 'lrs-path.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_contracts(engine)
    with engine.connect() as connection:
        bob = connection.execute(select(learner.c.id).where(learner.c.email == BOB)).scalar_one()
    make_account(engine, email=BOB, role="learner", learner_id=bob, created_at=NOW)
    with running_server({"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW.isoformat()}) as base:
        yield base, url, engine
    engine.dispose()


def test_statements_posted_by_a_platform_are_exported_shown_downloaded_then_erased(
    served: tuple[str, str, Engine],
) -> None:
    base, url, engine = served
    platform = register_client(engine)
    sent = post_activity(base, platform, BOB, ACTIVITY)

    # The command line.
    done = gardien(url, "subject", "export", "--email", BOB, "--as-of", NOW.isoformat())
    assert done.returncode == 0, done.stderr
    exported = json.loads(done.stdout)
    assert statement_ids(exported) == sent
    assert exported["record_counts"]["activity_statement"] == len(sent)

    # « Mes données » and both downloads.
    client = WebClient.open(base)
    client.sign_in(BOB)
    page = client.get("/my-data")
    assert page.status_code == 200
    # What the platform sent, in words: the day and the score, not the activity's IRI.
    assert "12/05/2026" in page.text and "score 75 %" in page.text
    assert MODULE not in page.text
    token = csrf_of(page.text)
    as_json = client.client.post("/my-data/export", data={"format": "json", "csrf": token})
    assert as_json.status_code == 200
    assert statement_ids(as_json.json()) == sent
    as_zip = client.client.post("/my-data/export", data={"format": "zip", "csrf": token})
    assert as_zip.status_code == 200
    with zipfile.ZipFile(io.BytesIO(as_zip.content)) as archive:
        assert statement_ids(json.loads(archive.read("export.json"))) == sent
        # The learning activity, one row a statement, in a file named for its category (the
        # French page: labels in French, ";" between values: services/export_sheets.py).
        [activity_name] = [
            name for name in archive.namelist() if name.endswith("activite-d-apprentissage.csv")
        ]
        activity_csv = archive.read(activity_name).decode("utf-8-sig")
        assert len(list(csv.reader(io.StringIO(activity_csv), delimiter=";"))) == len(sent) + 1
    client.close()

    # Erased: gone from the database, from the export and from the LRS.
    erased = gardien(url, "subject", "erase", "--email", BOB, "--yes", "--json")
    assert erased.returncode == 0, erased.stderr
    assert json.loads(erased.stdout)["erased"]["activity_statement"] == len(sent)
    with engine.connect() as connection:
        left = connection.execute(select(func.count()).select_from(activity_statement))
        assert left.scalar_one() == 0
    again = json.loads(gardien(url, "subject", "export", "--email", BOB).stdout)
    assert statement_ids(again) == []
    for statement_id in sent:
        answer = httpx.get(
            f"{base}/xapi/statements",
            params={"statementId": statement_id},
            headers=credentials(platform),
            trust_env=False,
        )
        assert answer.status_code == 404

"""A learner whose platform sent their activity to the LRS downloads their data over HTTP:
the zip opens in a spreadsheet (one CSV per category, labelled columns in the page's language,
values in words, a README), the JSON is the complete machine-readable export, and neither
download files a data-subject request (an audit entry records it)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import account, audit_entry, learner, metadata, subject_request
from tests.support.lrs import Activity, post_activity, register_client
from tests.support.server import running_server
from tests.support.transmission_samples import load_contracts
from tests.support.web import WebClient, csrf_of, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
BOB = "bob.opco@example.org"
MODULE = "https://learning.example.org/paths/fle-a2/modules/m3"
ACTIVITY = (
    Activity("launched", MODULE, datetime(2026, 5, 12, 9, 0, tzinfo=UTC)),
    Activity("passed", MODULE, datetime(2026, 5, 12, 9, 50, tzinfo=UTC), 0.75),
    Activity("failed", f"{MODULE}/quiz", datetime(2026, 5, 13, 8, 0, tzinfo=UTC), 0.25),
)
# Every name the database gives a column: none may head a column a person reads.
COLUMN_NAMES = {column.name for table in metadata.tables.values() for column in table.columns}
SYNTAX = ("{'", '{"', "['", '["', "True", "False", "None")


@pytest.fixture
def served(tmp_path: Any) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'export-people.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_contracts(engine)
    with engine.connect() as connection:
        bob = connection.execute(select(learner.c.id).where(learner.c.email == BOB)).scalar_one()
    make_account(engine, email=BOB, role="learner", learner_id=bob, created_at=NOW)
    with running_server({"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW.isoformat()}) as base:
        yield base, engine
    engine.dispose()


def download(client: WebClient, prefix: str, fmt: str) -> bytes:
    page = client.get(f"{prefix}/my-data")
    assert page.status_code == 200
    answer = client.client.post(
        f"{prefix}/my-data/export", data={"format": fmt, "csrf": csrf_of(page.text)}
    )
    assert answer.status_code == 200, answer.text
    return answer.content


def sheets_of(archive: zipfile.ZipFile, separator: str) -> dict[str, list[list[str]]]:
    """Every CSV of the zip, parsed by the csv module; each must start with the BOM."""
    parsed = {}
    for name in archive.namelist():
        if name.endswith(".csv"):
            raw = archive.read(name)
            assert raw.startswith(b"\xef\xbb\xbf"), name
            text = raw.decode("utf-8-sig")
            parsed[name] = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    return parsed


def assert_for_people(parsed: dict[str, list[list[str]]], rule_ids: set[str]) -> None:
    for name, rows in parsed.items():
        header, *body = rows
        assert header, name
        for heading in header:
            assert heading and heading not in COLUMN_NAMES, (name, heading)
            assert "_" not in heading, (name, heading)
        for row in body:
            assert len(row) == len(header), (name, row)
            for cell in row:
                assert not any(mark in cell for mark in SYNTAX), (name, cell)
                assert cell not in rule_ids, (name, cell)


def test_a_learner_downloads_a_zip_a_spreadsheet_opens_and_files_no_request(
    served: tuple[str, Engine],
) -> None:
    base, engine = served
    platform = register_client(engine)
    sent = post_activity(base, platform, BOB, ACTIVITY)
    client = WebClient.open(base)
    client.sign_in(BOB)

    # The JSON download: the complete export, valid JSON throughout.
    whole = json.loads(download(client, "", "json"))
    rule_ids = set(whole["retention_rules"])
    assert rule_ids
    statements = [
        record
        for category in whole["categories"]
        for record in category["records"]
        if record["record"] == "activity_statement"
    ]
    assert [record["fields"]["statement_id"] for record in statements] == sent
    # Nested values stay JSON data; instants and dates stay ISO 8601.
    passed = statements[1]["fields"]
    assert passed["raw"]["result"] == {"score": {"scaled": 0.75}, "success": True}
    assert passed["result_success"] is True
    datetime.fromisoformat(passed["timestamp"])
    date.fromisoformat(whole["as_of"])

    # The zip, from the French page.
    with zipfile.ZipFile(io.BytesIO(download(client, "", "zip"))) as archive:
        names = archive.namelist()
        assert "README.txt" in names and "export.json" in names
        assert json.loads(archive.read("export.json")) == whole
        readme = archive.read("README.txt").decode("utf-8-sig")
        parsed = sheets_of(archive, ";")
    assert_for_people(parsed, rule_ids)
    assert "export.json" in readme and "version technique complète" in readme
    assert all(name in readme for name in parsed)
    assert "« ; »" in readme  # the separator is explained
    assert "COMBIEN DE TEMPS VOS DONNÉES SONT CONSERVÉES" in readme
    identity = parsed["01-identite.csv"]
    assert identity[0][:2] == ["Pseudonyme", "Adresse électronique"]
    assert BOB in identity[1]
    activity = next(rows for name, rows in parsed.items() if "activite-d-apprentissage" in name)
    header = activity[0]
    assert header[:3] == ["Date", "Action", "Activité"]
    by_column = [dict(zip(header, row, strict=True)) for row in activity[1:]]
    assert [row["Identifiant de la déclaration"] for row in by_column] == sent
    assert [row["Action"] for row in by_column] == ["a lancé", "réussi", "échoué"]
    assert [row["Réussi"] for row in by_column] == ["", "Oui", "Non"]
    assert by_column[1]["Score"] == "75\xa0%"
    assert by_column[1]["Date"] == "12/05/2026 11:50"  # France's time
    assert by_column[1]["Fin de conservation"] == "01/12/2027"
    assert by_column[1]["Règle de conservation"].startswith("Données personnelles des apprenants")

    # The zip, from the English page.
    with zipfile.ZipFile(io.BytesIO(download(client, "/en", "zip"))) as archive:
        readme = archive.read("README.txt").decode("utf-8-sig")
        parsed = sheets_of(archive, ",")
        assert json.loads(archive.read("export.json")) == whole
    assert_for_people(parsed, rule_ids)
    assert "the complete technical version" in readme
    assert parsed["01-identity.csv"][0][:2] == ["Pseudonym", "E-mail address"]
    activity = next(rows for name, rows in parsed.items() if "learning-activity" in name)
    by_column = [dict(zip(activity[0], row, strict=True)) for row in activity[1:]]
    assert [row["Succeeded"] for row in by_column] == ["", "Yes", "No"]
    assert [row["Action"] for row in by_column] == ["launched", "passed", "failed"]
    client.close()

    # Three downloads, no request filed; each left an audit entry naming the account only.
    with engine.connect() as connection:
        requests = connection.execute(select(func.count()).select_from(subject_request))
        assert requests.scalar_one() == 0
        account_id = connection.execute(select(account.c.id)).scalar_one()
        entries = connection.execute(
            select(audit_entry.c.action, audit_entry.c.actor, audit_entry.c.details).where(
                audit_entry.c.action == "subject.downloaded"
            )
        ).all()
    assert [(e.action, e.actor) for e in entries] == [
        ("subject.downloaded", f"account:{account_id}")
    ] * 3
    assert BOB not in json.dumps([e.details for e in entries], default=str)

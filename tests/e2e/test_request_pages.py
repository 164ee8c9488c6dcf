"""Requests over HTTP: the learner's own (download, rectify, object) and those of people
without an account, who prove their address by a signed link and follow their request.

The learner's activity comes as in production: statements an e-learning platform sent to the
LRS (tests/support/lrs.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, insert, select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import (
    audit_entry,
    commercial_contact,
    learner,
    outbox_message,
    subject_request,
)
from tests.support.lrs import Activity, post_activity, register_client
from tests.support.server import running_server
from tests.support.transmission_samples import load_contracts
from tests.support.web import WebClient, csrf_of, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
CHLOE = "chloe.plan@example.org"
VISITOR = "visiteur.droits@example.org"
MODULE = "https://learning.example.org/paths/fle-a2/modules/m1"
PLATFORM = "Plateforme e-learning de test"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('requests') / 'requests.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_contracts(engine)
    with engine.begin() as connection:
        chloe = connection.execute(
            select(learner.c.id).where(learner.c.email == CHLOE)
        ).scalar_one()
        connection.execute(
            insert(commercial_contact).values(
                email=CHLOE,
                contract_reference="C-OLD",
                last_contract_end=date(2026, 1, 31),
                created_at=NOW,
            )
        )
    make_account(engine, email=CHLOE, role="learner", learner_id=chloe, created_at=NOW)
    platform = register_client(engine, PLATFORM)
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW.isoformat()}
    with running_server(env) as base:
        post_activity(
            base,
            platform,
            CHLOE,
            [
                Activity("attempted", MODULE, datetime(2026, 5, 4, 9, 0, tzinfo=UTC)),
                Activity("passed", MODULE, datetime(2026, 5, 4, 9, 40, tzinfo=UTC), 0.9),
            ],
        )
        yield base, engine, url
    engine.dispose()


def _rows(engine: Engine, query: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(query).all())


def _link(engine: Engine, kind: str, path: str) -> str:
    [body] = [
        row.body
        for row in _rows(engine, select(outbox_message.c.body).where(outbox_message.c.kind == kind))
    ][-1:]
    found = re.search(rf"http://127\.0\.0\.1:\d+({path}/\S+)", body)
    assert found, body
    return found.group(1)


def test_the_learner_downloads_the_same_content_as_the_command_line(
    served: tuple[str, Engine, str],
) -> None:
    base, engine, url = served
    client = WebClient.open(base)
    client.sign_in(CHLOE)
    page = client.get("/my-data").text
    download = client.client.post("/my-data/export", data={"format": "json", "csrf": csrf_of(page)})
    assert download.headers["content-disposition"] == (
        'attachment; filename="mes-donnees-2026-06-01.json"'
    )
    command = subprocess.run(
        [
            *(sys.executable, "-m", "gardien", "--database-url", url),
            *("subject", "export", "--email", CHLOE, "--as-of", NOW.isoformat()),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    from_page, from_cli = download.json(), json.loads(command.stdout)
    for exported in (from_page, from_cli):
        # Both hold the statements the platform sent, naming it.
        sent = [
            record["context"]
            for category in exported["categories"]
            for record in category["records"]
            if record["record"] == "activity_statement"
        ]
        assert sent == [{"voided": False, "client": PLATFORM}] * 2
        for category in exported["categories"]:
            category.pop("sent_to", None)
            category["records"] = [
                r for r in category["records"] if r["record"] != "subject_request"
            ]
        exported["categories"] = [c for c in exported["categories"] if c["records"]]
        exported.pop("record_counts")
        exported["roles"] = [role for role in exported["roles"] if role != "requester"]
    assert from_page == from_cli
    # Downloading one's own data is not a request (issue 17): no row was filed.
    assert _rows(engine, select(subject_request.c.kind, subject_request.c.status)) == []
    client.close()


def test_the_learner_corrects_their_name_and_objects(served: tuple[str, Engine, str]) -> None:
    base, engine, _ = served
    client = WebClient.open(base)
    client.sign_in(CHLOE)
    done = client.post_form(
        "/my-data/rectify",
        {"given_name": "Chloé-Anne", "family_name": "Planchet"},
        form_page="/my-data",
    )
    assert done.status_code == 303
    assert "Chloé-Anne" in client.get(done.headers["location"]).text
    assert _rows(engine, select(learner.c.given_name).where(learner.c.email == CHLOE)) == [
        ("Chloé-Anne",)
    ]
    [details] = _rows(
        engine,
        select(subject_request.c.details).where(subject_request.c.kind == "rectification"),
    )
    assert details[0] == {"fields": ["given_name"]}  # the names of the fields, not the values
    audit = " ".join(str(row) for row in _rows(engine, select(audit_entry.c.details)))
    assert "Chloé-Anne" not in audit and CHLOE not in audit

    objected = client.post_form("/my-data/object", {}, form_page="/my-data")
    assert objected.status_code == 303
    assert (
        _rows(engine, select(commercial_contact).where(commercial_contact.c.email == CHLOE)) == []
    )
    kinds = {row[0] for row in _rows(engine, select(subject_request.c.kind))}
    assert {"rectification", "objection"} <= kinds
    client.close()


def test_a_person_without_an_account_files_and_follows_a_request(
    served: tuple[str, Engine, str],
) -> None:
    base, engine, _ = served
    before = len(_rows(engine, select(subject_request.c.id)))
    with httpx.Client(base_url=base) as client:
        form = client.get("/requests").text
        sent = client.post(
            "/requests", data={"email": VISITOR, "kind": "erasure", "csrf": csrf_of(form)}
        )
        assert sent.status_code == 200 and "Consultez votre boîte de réception" in sent.text
        # Nothing is recorded until the link is followed.
        assert len(_rows(engine, select(subject_request.c.id))) == before
        verify = _link(engine, "request_verify", "/requests/verify")
        assert VISITOR not in verify  # the link carries a digest, not the address
        page = client.get(verify).text
        wrong = client.post(
            verify, data={"email": "autre@example.org", "details": "", "csrf": csrf_of(page)}
        )
        assert wrong.status_code == 400
        assert len(_rows(engine, select(subject_request.c.id))) == before
        filed = client.post(
            verify,
            data={
                "email": VISITOR,
                "details": "Merci d'effacer mes données.",
                "csrf": csrf_of(page),
            },
        )
        assert filed.status_code == 200
        # Received Monday 1 June 2026: due Wednesday 1 July 2026.
        assert "01/07/2026" in filed.text and "En cours" in filed.text
        # The link files one request, however often it is followed.
        again = client.post(verify, data={"email": VISITOR, "details": "", "csrf": csrf_of(page)})
        assert again.status_code == 200
    [(reference, check, due, details)] = _rows(
        engine,
        select(
            subject_request.c.reference,
            subject_request.c.identity_check,
            subject_request.c.due_on,
            subject_request.c.details,
        ).where(subject_request.c.email == VISITOR),
    )
    assert (check, due) == ("email_link", date(2026, 7, 1))
    assert details["lang"] == "fr"  # later e-mails about it go out in the person's language
    assert reference in again.text
    follow = _link(engine, "request_filed", "/requests/status")
    status = httpx.get(base + follow)
    assert status.status_code == 200 and reference in status.text
    forged = httpx.get(base + follow[:-3] + "abc")
    assert forged.status_code == 400 and reference not in forged.text


def test_in_english_the_due_day_is_written_as_people_write_it(
    served: tuple[str, Engine, str],
) -> None:
    base, engine, _ = served
    visitor = "visitor.rights@example.org"
    with httpx.Client(base_url=base) as client:
        form = client.get("/en/requests").text
        sent = client.post(
            "/en/requests", data={"email": visitor, "kind": "access", "csrf": csrf_of(form)}
        )
        assert sent.status_code == 200
        verify = _link(engine, "request_verify", "/en/requests/verify")
        page = client.get(verify).text
        filed = client.post(verify, data={"email": visitor, "details": "", "csrf": csrf_of(page)})
    assert filed.status_code == 200
    # Received Monday 1 June 2026: due Wednesday 1 July 2026.
    assert "1 July 2026" in filed.text and "2026-07-01" not in filed.text
    [body] = [
        row.body
        for row in _rows(
            engine,
            select(outbox_message.c.body, outbox_message.c.recipient).where(
                outbox_message.c.kind == "request_filed"
            ),
        )
        if row.recipient == visitor
    ]
    assert "We will answer by 1 July 2026 at the latest" in " ".join(body.split())

"""``POST /api/transmissions`` over real HTTP: a bearer token, the policy's refusals as JSON,
and the payload with its digest and log ids in headers."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import disclosure
from tests.support.server import running_server
from tests.support.transmission_samples import load_contracts

pytestmark = pytest.mark.e2e
TOKEN = "api-test-token-0123456789"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('api') / 'api.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_contracts(engine)
    engine.dispose()
    with running_server({"GARDIEN_DATABASE_URL": url, "GARDIEN_API_TOKEN": TOKEN}) as base:
        yield base, url


def post(base: str, body: object, token: str | None = TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{base}/api/transmissions", json=body, headers=headers)


def test_without_the_token_nothing_is_sent(api: tuple[str, str]) -> None:
    base, _ = api
    body = {"contract": "C-CPF", "recipient": "funding_body"}
    for token in (None, "wrong-token"):
        answer = post(base, body, token)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "authentication required" in answer.json()["error"]


def test_a_cpf_payload_comes_with_its_digest_and_log_id(api: tuple[str, str]) -> None:
    base, url = api
    answer = post(base, {"contract": "C-CPF", "recipient": "funding_body"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    digest = answer.headers["x-payload-sha256"]
    assert digest == hashlib.sha256(answer.content).hexdigest()
    [record] = answer.json()["contracts"][0]["records"]
    assert record["cpf_dossier.edof_number"] == "EDOF-000001"
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            logged = connection.execute(
                select(disclosure).where(disclosure.c.id == int(answer.headers["x-disclosure-ids"]))
            ).one()
    finally:
        engine.dispose()
    assert (logged.payload_sha256, logged.actor, logged.recipient) == (
        digest,
        "api",
        "funding_body",
    )


def test_csv_for_a_sponsors_contracts_over_a_period(api: tuple[str, str]) -> None:
    base, _ = api
    body = {
        "sponsor": "SP-EMP",
        "from": "2025-01-01",
        "until": "2026-12-31",
        "recipient": "employer",
        "format": "csv",
    }
    answer = post(base, body)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {row["contract"] for row in rows} == {"C-EMP"}


def test_refusals_cite_the_policy_and_errors_are_json(api: tuple[str, str]) -> None:
    base, _ = api
    refused = post(base, {"contract": "C-WEB", "recipient": "funding_body"})
    assert refused.status_code == 403
    assert refused.json()["policy"]["fr"].startswith("Contrat payé en ligne")
    missing = post(base, {"contract": "C-NONE", "recipient": "employer"})
    assert missing.status_code == 404 and "C-NONE" in missing.json()["error"]
    malformed = post(base, {"contract": "C-CPF", "recipient": "funding_body", "format": "xml"})
    assert malformed.status_code == 422
    both = post(base, {"contract": "C-CPF", "sponsor": "SP-EMP", "recipient": "employer"})
    assert both.status_code == 422 and "either a contract or a sponsor" in json.dumps(both.json())


def test_every_refusal_of_the_body_is_one_sentence_naming_the_field(api: tuple[str, str]) -> None:
    base, _ = api
    cases: list[tuple[object, int, str]] = [
        (
            {"recipient": "employer"},
            422,
            "name either a contract or a sponsor (with from and until)",
        ),
        (
            {"sponsor": "SP-EMP", "from": "2025-01-01", "recipient": "employer"},
            422,
            "until: is required",
        ),
        (
            {"sponsor": "SP-EMP", "from": 20250101, "until": "2025-12-31", "recipient": "employer"},
            422,
            'from: must be a date written "YYYY-MM-DD"',
        ),
        (
            {"contract": "C-CPF", "recipient": "funding_body", "start": "x"},
            422,
            "start: is not a property of this request",
        ),
        ({"contract": "C-CPF", "recipient": ""}, 422, "recipient: must not be empty"),
        (["C-CPF"], 422, "the body must be a JSON object naming a contract, or a sponsor"),
        (
            # A period that ends before it starts holds no day: no contract runs in it.
            {
                "sponsor": "SP-EMP",
                "from": "2026-01-01",
                "until": "2025-01-01",
                "recipient": "employer",
            },
            403,
            "no contract runs in a period that ends before it starts",
        ),
    ]
    for body, status, message in cases:
        answer = post(base, body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.json()["error"].startswith(message), answer.text
    not_json = httpx.post(
        f"{base}/api/transmissions",
        content=b"\xff\xfe{",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422 and "JSON object" in not_json.json()["error"]
    # Without the token, nothing is said about the body, not even that it is malformed.
    assert post(base, {"nonsense": True}, token=None).status_code == 401

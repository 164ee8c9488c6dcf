"""Attachments and signed statements over real HTTP, with the blob store on files and on an
S3-compatible server on loopback (moto's, a real process): multipart/mixed in, multipart/mixed
out with ``attachments=true``, refusals, and the content gone with an erasure (raw scans)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text

from gardien.domain.clock import FixedClock
from gardien.policy import load_policy
from gardien.services.erasure import erase_subject
from gardien.settings import Settings
from gardien.store.blobs import BlobStore, open_blob_store
from gardien.store.catalogue import record_catalogue
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.uow import UnitOfWork
from gardien.web.xapi_multipart import parse_multipart
from tests.support.jws import certificate, jws, x5c
from tests.support.lookup import LOOKUP
from tests.support.s3 import S3Server, running_s3
from tests.support.server import running_server
from tests.support.xapi_samples import HOME, add_client, basic, email, load_learners, statement

pytestmark = pytest.mark.e2e

CERTIFICATE = b"%PDF-1.7 attestation de fin de formation \x00\xff"
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def attachment(content: bytes, **extra: Any) -> dict[str, Any]:
    return {
        "usageType": "http://id.tincanapi.com/attachment/certificate-of-completion",
        "display": {"fr": "Attestation"},
        "contentType": "application/pdf",
        "length": len(content),
        "sha2": sha256(content),
        **extra,
    }


def multipart(data: Any, *contents: bytes, hashes: list[str] | None = None) -> tuple[bytes, str]:
    boundary = f"gardien-{uuid.uuid4().hex}"
    chunks = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode()]
    chunks += [orjson.dumps(data), b"\r\n"]
    for index, content in enumerate(contents):
        declared = hashes[index] if hashes else sha256(content)
        chunks.append(
            f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
            "Content-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {declared}\r\n\r\n".encode()
        )
        chunks += [content, b"\r\n"]
    chunks.append(f"--{boundary}--".encode())
    return b"".join(chunks), f'multipart/mixed; boundary="{boundary}"'


class Lrs:
    def __init__(self, base: str, url: str, headers: dict[str, str], blobs: BlobStore) -> None:
        self.base, self.url, self.headers, self.blobs = base, url, headers, blobs

    def send(self, method: str, data: Any, *contents: bytes, **options: Any) -> httpx.Response:
        body, content_type = multipart(data, *contents, **options)
        params = {"statementId": data["id"]} if method == "PUT" else None
        return httpx.request(
            method,
            f"{self.base}/xapi/statements",
            params=params,
            content=body,
            headers={**self.headers, "Content-Type": content_type},
        )

    def get(self, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.base}/xapi/statements", params=params, headers=self.headers)

    def scan(self) -> str:
        """Every row of the statements and attachments tables, as text (a raw scan)."""
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                return "\n".join(
                    str(connection.execute(text(f"SELECT * FROM {name}")).all())
                    for name in ("activity_statement", "xapi_attachment", "xapi_blob")
                )
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    with running_s3() as server:
        yield server


@pytest.fixture(params=["files", "s3"])
def lrs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Lrs]:
    if request.param == "files":
        env = {"GARDIEN_BLOB_DIR": str(tmp_path / "blobs")}
    else:
        server: S3Server = request.getfixturevalue("s3_server")
        env = server.settings_env(server.new_bucket())
    settings = Settings(**{k.removeprefix("GARDIEN_").lower(): v for k, v in env.items()})
    url = f"sqlite:///{tmp_path / 'lrs.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_learners(engine)
    client = add_client(engine)
    engine.dispose()
    server_env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_PUBLIC_URL": HOME, **env}
    with running_server(server_env) as base:
        yield Lrs(base, url, basic(client), open_blob_store(settings))


def test_content_in_and_out(lrs: Lrs) -> None:
    sent = statement("lea", attachments=[attachment(CERTIFICATE)])
    answer = lrs.send("POST", [sent], CERTIFICATE)
    assert answer.status_code == 200, answer.text
    assert answer.json() == [sent["id"]]
    assert lrs.blobs.get(sha256(CERTIFICATE)) == CERTIFICATE
    # Without attachments=true: JSON, as ever.
    plain = lrs.get(statementId=sent["id"])
    assert plain.headers["content-type"].startswith("application/json")
    assert plain.json()["attachments"][0]["sha2"] == sha256(CERTIFICATE)
    for params in ({"statementId": sent["id"]}, {"verb": sent["verb"]["id"]}):
        answer = lrs.get(attachments="true", **params)
        assert answer.status_code == 200, answer.text
        content_type = answer.headers["content-type"]
        assert content_type.startswith("multipart/mixed; boundary=")
        assert answer.headers["x-experience-api-consistent-through"]
        first, parts = parse_multipart(answer.content, content_type)
        assert parts == {sha256(CERTIFICATE): CERTIFICATE}
        found = first if "statementId" in params else first["statements"][0]
        assert found["id"] == sent["id"]
    # PUT takes the same format.
    put = statement("noe", attachments=[attachment(b"another")])
    assert lrs.send("PUT", put, b"another").status_code == 204
    got = lrs.get(statementId=put["id"], attachments="true")
    assert parse_multipart(got.content, got.headers["content-type"])[1] == {
        sha256(b"another"): b"another"
    }


def test_what_is_refused(lrs: Lrs) -> None:
    sent = statement("lea", attachments=[attachment(CERTIFICATE)])
    cases = [
        lrs.send("POST", [sent]),  # no part for an attachment without fileUrl
        lrs.send("POST", [sent], CERTIFICATE, b"extra"),  # a part no attachment declares
        lrs.send("POST", [sent], CERTIFICATE, hashes=[sha256(b"other")]),  # wrong hash
        httpx.post(  # the JSON body with an attachment that has neither fileUrl nor part
            f"{lrs.base}/xapi/statements", json=[sent], headers=lrs.headers
        ),
        httpx.post(  # a multipart body that is not multipart/mixed (XAPI-00127)
            f"{lrs.base}/xapi/statements",
            content=orjson.dumps([sent]),
            headers={**lrs.headers, "Content-Type": "multipart/form-data; boundary=x"},
        ),
        httpx.post(  # no boundary
            f"{lrs.base}/xapi/statements",
            content=multipart([sent], CERTIFICATE)[0],
            headers={**lrs.headers, "Content-Type": "multipart/mixed"},
        ),
    ]
    for answer in cases:
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]
    assert lrs.get(statementId=sent["id"]).status_code == 404
    assert not lrs.blobs.exists(sha256(CERTIFICATE))


def test_a_signed_statement_is_checked_then_stored_without_its_signature(lrs: Lrs) -> None:
    original = statement("lea")
    signature = jws(original, x5c=x5c(certificate_of_test()))
    sent = {**original, "attachments": [_signature(signature)]}
    answer = lrs.send("POST", [sent], signature)
    assert answer.status_code == 200, answer.text
    stored = lrs.get(statementId=original["id"]).json()
    assert "attachments" not in stored
    assert not lrs.blobs.exists(sha256(signature))
    # The JWS names the learner in clear (its payload): neither it nor the address is kept.
    scan = lrs.scan()
    assert original["id"] in scan  # the scan does read the statement
    assert email("lea") not in scan and signature.decode().split(".")[1] not in scan
    # A signature of another statement, and one with another algorithm, are refused.
    forged = jws({**original, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}})
    hmac = jws(original, alg="HS256")
    for bad in (forged, hmac):
        other = {**statement("lea"), "attachments": [_signature(bad)]}
        answer = lrs.send("POST", [other], bad)
        assert answer.status_code == 400, answer.text


def test_erasure_takes_the_content(lrs: Lrs) -> None:
    sent = statement("lea", attachments=[attachment(CERTIFICATE)])
    assert lrs.send("POST", [sent], CERTIFICATE).status_code == 200
    assert lrs.blobs.exists(sha256(CERTIFICATE))
    engine = make_engine(lrs.url)
    try:
        result = erase_subject(
            email("lea"),
            uow=UnitOfWork(engine, write=True),
            policy=load_policy(None, catalogue=record_catalogue()),
            clock=FixedClock.on(date(2026, 3, 1)),
            lookup=LOOKUP,
            blobs=lrs.blobs,
        )
    finally:
        engine.dispose()
    assert result.erased["xapi_attachment"] == 1 and result.erased["xapi_blob"] == 1
    assert not lrs.blobs.exists(sha256(CERTIFICATE))
    scan = lrs.scan()
    assert sha256(CERTIFICATE) not in scan and sent["id"] not in scan
    assert lrs.get(statementId=sent["id"]).status_code == 404


def certificate_of_test() -> Any:
    from tests.support.jws import KEY

    return certificate(KEY, "Plateforme de test")


def _signature(signature: bytes) -> dict[str, Any]:
    return {
        "usageType": SIGNATURE,
        "display": {"en-US": "Signature"},
        "contentType": "application/octet-stream",
        "length": len(signature),
        "sha2": sha256(signature),
    }

"""xAPI 1.0.3 and 2.0.0 side by side, negotiated by X-Experience-API-Version
(web/xapi_version.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import pytest

from gardien.web.xapi_version import negotiated
from tests.support.xapi_samples import serving_samples, statement

pytestmark = pytest.mark.e2e
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Lrs:
    url: str
    headers: dict[str, str]


@pytest.fixture(scope="module")
def lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lrs]:
    with serving_samples(tmp_path_factory.mktemp("versions")) as (base, _url, headers):
        yield Lrs(f"{base}/xapi/statements", headers)


def test_versions_are_negotiated() -> None:
    assert [negotiated(v) for v in ("1.0", "1.0.3", "1.0.9", "2.0", "2.0.0", "2.0.7")] == [
        "1.0.3",
        "1.0.3",
        "1.0.3",
        "2.0.0",
        "2.0.0",
        "2.0.0",
    ]
    assert [negotiated(v) for v in (None, "", "0.95", "1.1.0", "2.1.0", "3")] == [None] * 6


def test_every_answer_names_the_version_it_was_asked_in(lrs: Lrs) -> None:
    sent = statement("lea")
    sid = sent["id"]
    for version, expected in (("1.0.3", "1.0.3"), ("2.0.0", "2.0.0"), ("2.0", "2.0.0")):
        headers = {**lrs.headers, "X-Experience-API-Version": version}
        stored = httpx.put(lrs.url, params={"statementId": sid}, json=sent, headers=headers)
        assert stored.status_code == 204, stored.text
        assert stored.headers["X-Experience-API-Version"] == expected
        found = httpx.get(lrs.url, params={"statementId": sid}, headers=headers)
        assert found.status_code == 200 and found.headers["X-Experience-API-Version"] == expected
        missing = httpx.get(lrs.url, params={"statementId": str(uuid.uuid4())}, headers=headers)
        assert missing.status_code == 404
        assert missing.headers["X-Experience-API-Version"] == expected
    refused = httpx.get(lrs.url, headers={**lrs.headers, "X-Experience-API-Version": "1.1.0"})
    assert refused.status_code == 400 and refused.json()["property"] == "header"
    about = httpx.get(lrs.url.replace("/statements", "/about"))
    assert set(about.json()["version"]) >= {"1.0.3", "2.0.0"}


def test_xapi_2_has_no_alternate_request_syntax(lrs: Lrs) -> None:
    sent = statement("lea")
    form = {
        "statementId": sent["id"],
        "content": json.dumps(sent),
        "Authorization": lrs.headers["Authorization"],
        "Content-Type": "application/json",
    }
    for version in ("1.0.3", "2.0.0"):
        answer = httpx.post(
            f"{lrs.url}?method=PUT",
            content=urlencode({**form, "X-Experience-API-Version": version}),
            headers={"Content-Type": FORM},
        )
        if version == "1.0.3":
            assert answer.status_code == 204, answer.text
        else:
            assert answer.status_code == 400 and answer.json()["property"] == "method"


def test_a_request_naming_no_version_is_answered_in_the_clients_last(lrs: Lrs) -> None:
    bare = {"Authorization": lrs.headers["Authorization"]}
    for version, expected in (("1.0.3", "1.0.3"), ("2.0.0", "2.0.0"), ("1.0.1", "1.0.3")):
        spoken = httpx.get(lrs.url, headers={**bare, "X-Experience-API-Version": version})
        assert spoken.status_code == 200
        refused = httpx.get(lrs.url, headers=bare)
        assert refused.status_code == 400 and refused.json()["property"] == "header"
        assert refused.headers["X-Experience-API-Version"] == expected
    # Nobody known: the latest version.
    stranger = httpx.get(lrs.url, headers={"Authorization": "Basic bm9ib2R5Om5vdGhpbmc="})
    assert stranger.status_code == 400
    assert stranger.headers["X-Experience-API-Version"] == "2.0.0"

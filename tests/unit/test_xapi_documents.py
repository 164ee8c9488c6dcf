"""The rules of the xAPI document resources (domain/xapi/documents.py): ETags, the JSON merge of
a POST, If-Match / If-None-Match, and the parameters each resource takes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import orjson
import pytest

from gardien.domain.xapi.documents import (
    DEFAULT_TYPE,
    Preconditions,
    address,
    check_write,
    checked_content,
    document_agent,
    etag_of,
    is_json,
    media_type,
    merged,
)
from gardien.errors import XapiDocumentConflictError, XapiPreconditionError, XapiValidationError

AGENT = '{"objectType": "Agent", "mbox": "mailto:lea.document@example.org"}'
ACTIVITY = "https://learning.example.org/courses/fle-a2"
JSON = "application/json"


def test_the_etag_is_the_sha1_of_the_bytes_in_lower_case_hex() -> None:
    content = b'{"page": 12}'
    assert etag_of(content) == hashlib.sha1(content).hexdigest()
    assert len(etag_of(content)) == 40 and etag_of(content) == etag_of(content).lower()
    assert etag_of(b'{"page": 13}') != etag_of(content)


def test_json_is_recognised_whatever_its_parameters_and_case() -> None:
    assert is_json("application/json")
    assert is_json("Application/JSON; charset=utf-8")
    assert not is_json("application/octet-stream")
    assert not is_json("text/plain")
    assert media_type(None) == DEFAULT_TYPE == media_type("  ")
    assert media_type("image/png") == "image/png"


def test_a_post_merges_top_level_properties_and_replaces_their_whole_value() -> None:
    stored = orjson.dumps({"x": "foo", "y": "bar", "car": {"make": "Ford", "model": "Escape"}})
    posted = orjson.dumps({"x": "bash", "z": "faz", "car": {"make": "Dodge"}})
    content, content_type = merged(stored, JSON, posted, "application/json; charset=utf-8")
    assert orjson.loads(content) == {
        "x": "bash",
        "y": "bar",
        "z": "faz",
        "car": {"make": "Dodge"},  # not merged one level deeper
    }
    assert content_type == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    ("stored", "stored_type", "posted", "posted_type", "prop"),
    [
        (b'{"a": 1}', JSON, b"abcdefg", "not/json", "Content-Type"),
        (b"/ asdf / undefined", "application/octet-stream", b'{"a": 1}', JSON, "Content-Type"),
        (b'{"a": 1}', JSON, b'{"a": 1}{', JSON, "document"),
        (b"[1, 2]", JSON, b'{"a": 1}', JSON, "document"),
        (b'{"a": 1}', JSON, b'"text"', JSON, "document"),
    ],
)
def test_a_post_refuses_anything_but_two_json_objects(
    stored: bytes, stored_type: str, posted: bytes, posted_type: str, prop: str
) -> None:
    with pytest.raises(XapiValidationError) as refused:
        merged(stored, stored_type, posted, posted_type)
    assert refused.value.prop == prop


def test_a_body_sent_as_json_must_be_json_and_any_other_is_kept_as_bytes() -> None:
    with pytest.raises(XapiValidationError):
        checked_content(b'{"a": 1', JSON)
    assert checked_content(b"\x89PNG\r\n", "image/png") == b"\x89PNG\r\n"


STORED = etag_of(b'{"a": 1}')


@pytest.mark.parametrize(
    ("current", "conditions"),
    [
        (STORED, Preconditions(if_match=f'"{STORED}"')),
        (STORED, Preconditions(if_match=f'"{"1" * 40}", "{STORED}"')),
        (STORED, Preconditions(if_match="*")),
        (STORED, Preconditions(if_match=f'W/"{STORED.upper()}"')),
        (None, Preconditions(if_none_match="*")),
        (STORED, Preconditions(if_none_match=f'"{"1" * 40}"')),
    ],
)
def test_preconditions_that_hold(current: str | None, conditions: Preconditions) -> None:
    for kind in ("state", "agent_profile", "activity_profile"):
        check_write(current, conditions, method="PUT", kind=kind)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "conditions", "header"),
    [
        (STORED, Preconditions(if_match=f'"{"1" * 40}"'), "If-Match"),
        (None, Preconditions(if_match="*"), "If-Match"),
        (None, Preconditions(if_match=f'"{STORED}"'), "If-Match"),
        (STORED, Preconditions(if_none_match="*"), "If-None-Match"),
        (STORED, Preconditions(if_none_match=f'"{STORED}"'), "If-None-Match"),
    ],
)
def test_preconditions_that_fail_are_412_on_every_write(
    current: str | None, conditions: Preconditions, header: str
) -> None:
    for method in ("PUT", "POST", "DELETE"):
        with pytest.raises(XapiPreconditionError) as failed:
            check_write(current, conditions, method=method, kind="state")  # type: ignore[arg-type]
        assert failed.value.header == header


def test_a_put_to_a_profile_must_say_what_it_expects() -> None:
    with pytest.raises(XapiDocumentConflictError) as conflict:
        check_write(STORED, Preconditions(), method="PUT", kind="agent_profile")
    assert "If-Match" in conflict.value.problem
    with pytest.raises(XapiValidationError):
        check_write(None, Preconditions(), method="PUT", kind="activity_profile")
    # The State resource takes writes without headers; POST and DELETE need none either.
    check_write(STORED, Preconditions(), method="PUT", kind="state")
    check_write(STORED, Preconditions(), method="POST", kind="agent_profile")
    check_write(None, Preconditions(), method="DELETE", kind="activity_profile")


def test_in_xapi_2_a_stored_state_is_not_overwritten_blindly() -> None:
    guarded = Preconditions(guarded_state=True)
    with pytest.raises(XapiDocumentConflictError):
        check_write(STORED, guarded, method="PUT", kind="state")
    check_write(None, guarded, method="PUT", kind="state")  # a first state needs no header
    check_write(
        STORED, Preconditions(if_match=STORED, guarded_state=True), method="PUT", kind="state"
    )
    check_write(STORED, guarded, method="POST", kind="state")  # a merge is no overwrite


def _params(**values: str) -> list[tuple[str, str]]:
    return list(values.items())


def test_a_state_is_named_by_activity_agent_registration_and_id() -> None:
    registration = "0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9"
    found, since = address(
        "state",
        _params(activityId=ACTIVITY, agent=AGENT, registration=registration, stateId="bookmark"),
        method="PUT",
    )
    assert found.activity_id == ACTIVITY and found.document_id == "bookmark"
    assert found.agent == {"objectType": "Agent", "mbox": "mailto:lea.document@example.org"}
    assert found.registration == registration.lower() and since is None
    listed, since = address(
        "state",
        _params(activityId=ACTIVITY, agent=AGENT, since="2026-01-15T10:00:00Z"),
        method="GET",
    )
    assert listed.document_id is None
    assert since == datetime(2026, 1, 15, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "method", "params", "prop"),
    [
        ("state", "PUT", {"agent": AGENT, "stateId": "s"}, "activityId"),
        ("state", "GET", {"activityId": ACTIVITY, "stateId": "s"}, "agent"),
        ("state", "POST", {"activityId": ACTIVITY, "agent": AGENT}, "stateId"),
        (
            "state",
            "PUT",
            {"activityId": "not an iri", "agent": AGENT, "stateId": "s"},
            "activityId",
        ),
        ("state", "GET", {"activityId": ACTIVITY, "agent": "not JSON", "stateId": "s"}, "agent"),
        ("state", "GET", {"activityId": ACTIVITY, "agent": "true", "stateId": "s"}, "agent"),
        (
            "state",
            "DELETE",
            {"activityId": ACTIVITY, "agent": AGENT, "registration": "true"},
            "registration",
        ),
        ("state", "GET", {"activityId": ACTIVITY, "agent": AGENT, "since": "yesterday"}, "since"),
        ("state", "PUT", {"activityId": ACTIVITY, "agent": AGENT, "stateid": "s"}, "stateid"),
        ("activity_profile", "GET", {"activityId": ACTIVITY, "agent": AGENT}, "agent"),
        ("activity_profile", "DELETE", {"activityId": ACTIVITY}, "profileId"),
        ("agent_profile", "PUT", {"agent": AGENT}, "profileId"),
        ("agent_profile", "GET", {"profileId": "p"}, "agent"),
        (
            "agent_profile",
            "GET",
            {"profileId": "p", "agent": '{"objectType": "Agent", "name": "Rick"}'},
            "agent",
        ),
        (
            "agent_profile",
            "GET",
            {"profileId": "p", "agent": '{"objectType": "Group", "mbox": "mailto:g@example.org"}'},
            "agent.objectType",
        ),
    ],
)
def test_a_missing_malformed_or_unknown_parameter_is_named(
    kind: str, method: str, params: dict[str, str], prop: str
) -> None:
    with pytest.raises(XapiValidationError) as refused:
        address(kind, _params(**params), method=method)  # type: ignore[arg-type]
    assert refused.value.prop == prop


def test_a_parameter_given_twice_or_holding_nul_is_refused() -> None:
    twice = [("activityId", ACTIVITY), ("profileId", "a"), ("profileId", "b")]
    with pytest.raises(XapiValidationError, match="more than once"):
        address("activity_profile", twice, method="GET")
    with pytest.raises(XapiValidationError) as refused:
        address(
            "activity_profile", [("activityId", ACTIVITY), ("profileId", "a\x00")], method="GET"
        )
    assert refused.value.prop == "profileId"


def test_the_agent_parameter_is_one_agent_with_one_identifier() -> None:
    assert document_agent('{"openid": "https://openid.example.org/lea"}') == {
        "openid": "https://openid.example.org/lea"
    }
    with pytest.raises(XapiValidationError):
        document_agent('{"mbox": "mailto:a@example.org", "openid": "https://o.example.org/a"}')
    with pytest.raises(XapiValidationError):
        document_agent('{"mbox": "mailto:a\\u0000@example.org"}')

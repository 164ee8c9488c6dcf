"""The alternate request syntax unpacked: headers, content and parameters from the form."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from gardien.errors import XapiValidationError
from gardien.web.xapi_alternate import is_alternate, unpack

FORM = {"content-type": "application/x-www-form-urlencoded", "content-length": "999"}
AUTH = "Basic a2V5OnNlY3JldA=="


def test_a_request_is_alternate_when_its_query_names_a_method() -> None:
    assert is_alternate([("method", "GET")])
    assert not is_alternate([("statementId", "x")])
    assert not is_alternate([])


def test_a_put_with_its_headers_and_content_in_the_form() -> None:
    body = urlencode(
        {
            "statementId": "0f5ab1a6-0d6d-4a0e-9a43-4a1a5d0e2c11",
            "content": '{"verb": {"id": "urn:x:été"}}',
            "Authorization": AUTH,
            "X-Experience-API-Version": "1.0.3",
            "Content-Length": "27",
        }
    ).encode()
    carried = unpack("POST", [("method", "put")], {**FORM, "accept-language": "fr"}, body)
    assert carried.method == "PUT"
    assert carried.params == [("statementId", "0f5ab1a6-0d6d-4a0e-9a43-4a1a5d0e2c11")]
    assert carried.body == '{"verb": {"id": "urn:x:été"}}'.encode()
    assert carried.headers == {
        "authorization": AUTH,
        "x-experience-api-version": "1.0.3",
        "content-type": "application/json",  # the content's, by default
        "accept-language": "fr",  # not a form header: the HTTP request's own
    }


def test_form_headers_replace_the_requests_and_name_the_contents_type() -> None:
    body = urlencode(
        {"X-Experience-API-Version": "0.8", "content": "[]", "Content-Type": "text/plain"}
    ).encode()
    headers = {**FORM, "x-experience-api-version": "1.0.3", "authorization": AUTH}
    carried = unpack("POST", [("method", "POST")], headers, body)
    assert carried.headers["x-experience-api-version"] == "0.8"
    assert carried.headers["authorization"] == AUTH
    assert carried.headers["content-type"] == "text/plain"


def test_a_get_without_content_has_no_content_type() -> None:
    carried = unpack("POST", [("method", "GET")], FORM, b"limit=1&verb=urn%3Ax%3Aa")
    assert (carried.method, carried.body) == ("GET", b"")
    assert carried.params == [("limit", "1"), ("verb", "urn:x:a")]
    assert "content-type" not in carried.headers and "content-length" not in carried.headers
    empty = unpack("POST", [("method", "GET")], {}, b"")
    assert (empty.params, empty.body) == ([], b"")


@pytest.mark.parametrize(
    ("method", "query", "headers", "body", "prop"),
    [
        ("PUT", [("method", "POST")], FORM, b"content=1", "method"),
        ("POST", [("method", "PUT"), ("statementId", "x")], FORM, b"", "statementId"),
        ("POST", [("method", "GET"), ("method", "PUT")], FORM, b"", "method"),
        ("POST", [("method", "PATCH")], FORM, b"", "method"),
        ("POST", [("method", "PUT")], {"content-type": "application/json"}, b"{}", "Content-Type"),
        ("POST", [("method", "PUT")], {}, b"content=1", "Content-Type"),
        ("POST", [("method", "GET")], FORM, b"verb=a&verb=b", "verb"),
        ("POST", [("method", "GET")], FORM, b"Authorization=a&authorization=b", "authorization"),
        ("POST", [("method", "PUT")], FORM, b"content=\xff", "content"),
    ],
)
def test_what_is_refused(
    method: str, query: list[tuple[str, str]], headers: dict[str, str], body: bytes, prop: str
) -> None:
    with pytest.raises(XapiValidationError) as refused:
        unpack(method, query, headers, body)
    assert refused.value.prop == prop

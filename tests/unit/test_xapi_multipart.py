"""multipart/mixed bodies of the statements resource (Communication 1.5.2): what is read, what
is refused, and the answers written in the same format."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import pytest

from gardien.domain.xapi.attachments import Part
from gardien.errors import XapiValidationError
from gardien.web.xapi_multipart import is_multipart, multipart_body, parse_multipart

BOUNDARY = "abcABC0123'()+_,-./:=?"  # the spec's example: every character class a boundary has
CONTENT = b"here is a simple attachment"
SHA256 = hashlib.sha256(CONTENT).hexdigest()
STATEMENT = {"verb": {"id": "http://adlnet.gov/expapi/verbs/answered"}, "attachments": []}


def body(*parts: bytes, boundary: str = BOUNDARY, preamble: bytes = b"") -> bytes:
    delimiter = b"--" + boundary.encode()
    joined = b"".join(delimiter + b"\r\n" + part + b"\r\n" for part in parts)
    return preamble + joined + delimiter + b"--\r\n"


def json_part(data: Any = STATEMENT, content_type: bytes = b"application/json") -> bytes:
    return b"Content-Type:" + content_type + b"\r\n\r\n" + orjson.dumps(data)


def attachment_part(content: bytes = CONTENT, sha2: str = SHA256, **headers: str) -> bytes:
    lines = {
        "Content-Type": "text/plain",
        "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": sha2,
        **headers,
    }
    head = "".join(f"{name}:{value}\r\n" for name, value in lines.items() if value)
    return head.encode() + b"\r\n" + content


def content_type(boundary: str = BOUNDARY) -> str:
    return f'multipart/mixed; boundary="{boundary}"'


def refused(raw: bytes, header: str = content_type()) -> XapiValidationError:
    with pytest.raises(XapiValidationError) as caught:
        parse_multipart(raw, header)
    return caught.value


def test_the_spec_example_is_read() -> None:
    statements, parts = parse_multipart(body(json_part(), attachment_part()), content_type())
    assert statements == STATEMENT
    assert parts == {SHA256: CONTENT}


def test_a_leading_crlf_a_preamble_an_epilogue_and_an_unquoted_boundary() -> None:
    raw = b"\r\n" + body(json_part(), attachment_part(), boundary="plain-boundary") + b"epilogue"
    statements, parts = parse_multipart(raw, "multipart/mixed; boundary=plain-boundary")
    assert statements == STATEMENT and parts == {SHA256: CONTENT}
    raw = body(json_part(), boundary="b1", preamble=b"This is a preamble.\r\n")
    assert parse_multipart(raw, "Multipart/Mixed; charset=utf-8; boundary=b1") == (STATEMENT, {})


def test_content_is_raw_bytes_up_to_the_crlf_of_the_next_delimiter() -> None:
    binary = bytes(range(256)) + b"\r\n\r\n--not-the-boundary\r\n"
    digest = hashlib.sha256(binary).hexdigest()
    _, parts = parse_multipart(body(json_part(), attachment_part(binary, digest)), content_type())
    assert parts == {digest: binary}


def test_other_sha2_lengths_and_upper_case_hex() -> None:
    sha512 = hashlib.sha512(CONTENT).hexdigest()
    sha384 = hashlib.sha384(CONTENT).hexdigest().upper()
    raw = body(json_part(), attachment_part(sha2=sha512), attachment_part(sha2=sha384))
    _, parts = parse_multipart(raw, content_type())
    assert parts == {sha512: CONTENT, sha384.lower(): CONTENT}


def test_no_transfer_encoding_is_taken_as_binary() -> None:
    raw = body(json_part(), attachment_part(**{"Content-Transfer-Encoding": ""}))
    assert parse_multipart(raw, content_type())[1] == {SHA256: CONTENT}


@pytest.mark.parametrize(
    "header", ["multipart/mixed", "multipart/mixed;", 'multipart/mixed; boundary=""']
)
def test_a_boundary_is_required_in_the_header(header: str) -> None:
    error = refused(body(json_part()), header)
    assert error.prop == "Content-Type" and "boundary" in error.problem


def test_a_body_without_the_boundary_is_refused() -> None:
    raw = json_part() + b"\r\n" + attachment_part()
    assert "no boundary delimiter" in refused(raw).problem


def test_a_first_part_missing_its_boundary_is_read_as_preamble_then_refused() -> None:
    # XAPI-00131: the statements come before the first delimiter, so the first part is the
    # attachment, which is not JSON.
    raw = json_part() + b"\r\n" + body(attachment_part())
    assert refused(raw).prop == "Content-Type"


def test_a_missing_delimiter_between_parts_breaks_the_json() -> None:
    # XAPI-00130: the attachment's headers run on into the statements' part.
    raw = body(json_part() + b"\r\n" + attachment_part())
    assert refused(raw).problem == "the first part is not valid JSON"


def test_the_first_part_must_be_json() -> None:
    error = refused(body(json_part(content_type=b"text/plain"), attachment_part()))
    assert error.prop == "Content-Type" and "application/json" in error.problem


def test_statements_in_two_parts_are_refused() -> None:
    # XAPI-00133: the second JSON part is taken as an attachment, which has no hash.
    error = refused(body(json_part(), json_part(), attachment_part()))
    assert error.prop == "X-Experience-API-Hash" and "part 1" in error.problem


def test_a_part_without_hash_or_with_the_wrong_one_is_refused() -> None:
    no_hash = refused(body(json_part(), attachment_part(**{"X-Experience-API-Hash": ""})))
    assert no_hash.prop == "X-Experience-API-Hash"
    wrong = refused(body(json_part(), attachment_part(sha2=hashlib.sha256(b"x").hexdigest())))
    assert wrong.problem == "part 1: the content does not have this hash"
    malformed = refused(body(json_part(), attachment_part(sha2="z" * 64)))
    assert "SHA-2 in hexadecimal" in malformed.problem


def test_a_transfer_encoding_other_than_binary_is_refused() -> None:
    error = refused(body(json_part(), attachment_part(**{"Content-Transfer-Encoding": "base64"})))
    assert error.prop == "Content-Transfer-Encoding"


def test_a_body_without_its_closing_delimiter_is_refused() -> None:
    raw = body(json_part(), attachment_part()).removesuffix(f"--{BOUNDARY}--\r\n".encode())
    assert "closing boundary" in refused(raw).problem


def test_malformed_headers_and_json_nul_are_refused() -> None:
    assert "malformed header" in refused(body(json_part(), b"no colon here\r\n\r\nx")).problem
    nul = b"Content-Type: application/json\r\n\r\n" + b'{"a": "\\u0000"}'
    with pytest.raises(XapiValidationError):
        parse_multipart(body(nul), content_type())


def test_is_multipart() -> None:
    assert is_multipart("multipart/mixed; boundary=x") and is_multipart("MULTIPART/MIXED")
    assert not is_multipart("multipart/form-data; boundary=x")
    assert not is_multipart(None) and not is_multipart("application/json")


def test_an_answer_reads_back_with_the_parser() -> None:
    parts = [
        Part(SHA256, "text/plain; charset=ascii", CONTENT),
        Part("ab" * 32, "x/y\r\nX: 1", b""),
    ]
    first = orjson.dumps({"statements": [], "more": ""})
    raw, header = multipart_body(first, parts)
    assert header.startswith("multipart/mixed; boundary=") and '"' not in header
    boundary = header.split("boundary=")[1]
    assert raw.startswith(f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode())
    assert raw.count(b"X-Experience-API-Hash: ") == 2
    assert b"\r\nX: 1" not in raw  # a CR in a stored content type cannot add a header line
    with pytest.raises(XapiValidationError, match="does not have this hash"):
        parse_multipart(raw, header)  # the second part's hash is not its content's, as written
    good, header = multipart_body(first, parts[:1])
    assert parse_multipart(good, header) == ({"statements": [], "more": ""}, {SHA256: CONTENT})

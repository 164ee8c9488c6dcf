"""``multipart/mixed`` bodies of the statements resource (xAPI 1.0.3 Communication 1.5.2).

A POST or PUT may send statements with the raw content of their attachments: the body is a
MIME multipart (RFC 2046) whose first part is the statements (``application/json``) and each
further part one attachment's content, with an ``X-Experience-API-Hash`` header (its SHA-2 in
hex) and, if any, ``Content-Transfer-Encoding: binary``. :func:`parse_multipart` reads such a
body, refusing (``XapiValidationError``, a 400) what the spec says to refuse: no boundary, a
first part that is not JSON, a part with no hash, a hash that is not the content's, a transfer
encoding other than binary. Whether the parts match the statements' attachments is checked
later, on validated statements (``domain/xapi/attachments.py``).

A GET with ``attachments=true`` answers in the same format: :func:`multipart_body` writes it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from email.message import Message
from typing import Any

from gardien.domain.xapi.attachments import Part
from gardien.domain.xapi.query import statements_json
from gardien.errors import XapiValidationError

MULTIPART = "multipart/mixed"
HASH_HEADER = "x-experience-api-hash"
_CRLF = b"\r\n"
# SHA-2 by the length of its hex digest: the hash a part declares says which one it is.
_SHA2 = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}
_HEX = re.compile(r"[0-9A-Fa-f]+")
_HEADER_NAME = re.compile(rb"[!-9;-~]+")
# A stored content type may hold a CR (a statement's media type allows any parameters): never
# let it end a header line of the answer.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def media_type(content_type: str | None) -> str:
    """The ``type/subtype`` of a Content-Type header, lower case ('' when absent)."""
    return (content_type or "").partition(";")[0].strip().lower()


def is_multipart(content_type: str | None) -> bool:
    """Whether a request's Content-Type is ``multipart/mixed``."""
    return media_type(content_type) == MULTIPART


def parse_multipart(body: bytes, content_type: str) -> tuple[Any, dict[str, bytes]]:
    """The statements (parsed JSON) of a ``multipart/mixed`` body and the attachments'
    content by their hash in lower case."""
    boundary = _boundary(content_type)
    parts = _split(body, boundary)
    if not parts:
        raise XapiValidationError("body", "a multipart/mixed body needs at least one part")
    headers, first = parts[0]
    if media_type(headers.get("content-type")) != "application/json":
        raise XapiValidationError(
            "Content-Type", "the first part must be the statements, as application/json"
        )
    statements = statements_json(first, problem="the first part is not valid JSON")
    contents: dict[str, bytes] = {}
    for number, (headers, content) in enumerate(parts[1:], start=1):
        sha2 = _checked_hash(headers, content, number)
        contents[sha2] = content
    return statements, contents


def _boundary(content_type: str) -> str:
    message = Message()
    message["content-type"] = content_type
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not 0 < len(boundary) <= 70:
        raise XapiValidationError(
            "Content-Type", "multipart/mixed needs a boundary parameter (1 to 70 characters)"
        )
    return boundary


def _split(body: bytes, boundary: str) -> list[tuple[dict[str, str], bytes]]:
    """The parts of ``body`` as (headers by lower-case name, content), per RFC 2046: the
    CRLF before a delimiter belongs to it; what comes before the first one is a preamble."""
    delimiter = b"--" + boundary.encode("latin-1")
    if body.startswith(delimiter):
        position = len(delimiter)
    else:
        found = body.find(_CRLF + delimiter)
        if found < 0:
            raise XapiValidationError("body", "no boundary delimiter in the multipart body")
        position = found + 2 + len(delimiter)
    parts: list[tuple[dict[str, str], bytes]] = []
    separator = _CRLF + delimiter
    while True:
        if body.startswith(b"--", position):
            return parts  # the close delimiter: what follows is an epilogue
        line_end = body.find(_CRLF, position)
        if line_end < 0 or body[position:line_end].strip(b" \t"):
            raise XapiValidationError("body", "a boundary delimiter must end its line")
        start = line_end + 2
        end = body.find(separator, start)
        if end < 0:
            raise XapiValidationError(
                "body", "the multipart body does not end with the closing boundary delimiter"
            )
        parts.append(_part(body[start:end], len(parts)))
        position = end + len(separator)


def _part(raw: bytes, number: int) -> tuple[dict[str, str], bytes]:
    if raw.startswith(_CRLF):
        return {}, raw[2:]
    head_end = raw.find(_CRLF + _CRLF)
    if head_end < 0:
        raise XapiValidationError("body", f"part {number} has no blank line after its headers")
    headers: dict[str, str] = {}
    for line in raw[:head_end].split(_CRLF):
        name, colon, value = line.partition(b":")
        if not colon or not _HEADER_NAME.fullmatch(name):
            raise XapiValidationError("body", f"part {number} has a malformed header line")
        headers[name.decode("ascii").lower()] = value.decode("latin-1").strip()
    return headers, raw[head_end + 4 :]


def _checked_hash(headers: dict[str, str], content: bytes, number: int) -> str:
    declared = headers.get(HASH_HEADER)
    if declared is None:
        raise XapiValidationError(
            "X-Experience-API-Hash", f"part {number} has no X-Experience-API-Hash header"
        )
    encoding = headers.get("content-transfer-encoding", "binary")
    if encoding.lower() != "binary":
        raise XapiValidationError(
            "Content-Transfer-Encoding",
            f"part {number}: attachments are sent as binary, with no other transfer encoding",
        )
    algorithm = _SHA2.get(len(declared))
    if algorithm is None or not _HEX.fullmatch(declared):
        raise XapiValidationError(
            "X-Experience-API-Hash",
            f"part {number}: the hash must be a SHA-2 in hexadecimal (56, 64, 96 or 128 digits)",
        )
    if algorithm(content).hexdigest() != declared.lower():
        raise XapiValidationError(
            "X-Experience-API-Hash", f"part {number}: the content does not have this hash"
        )
    return declared.lower()


def multipart_body(first: bytes, parts: Sequence[Part]) -> tuple[bytes, str]:
    """A ``multipart/mixed`` body of ``first`` (JSON) then ``parts``; and its Content-Type."""
    boundary = secrets.token_hex(16)
    while any(boundary.encode() in piece for piece in (first, *(p.content for p in parts))):
        boundary = secrets.token_hex(16)  # a boundary must appear in no part
    delimiter = f"--{boundary}\r\n".encode()
    chunks = [delimiter, b"Content-Type: application/json\r\n\r\n", first, _CRLF]
    for part in parts:
        chunks += [
            delimiter,
            f"Content-Type: {_CONTROLS.sub('', part.content_type)}\r\n".encode(
                "latin-1", "replace"
            ),
            b"Content-Transfer-Encoding: binary\r\n",
            f"X-Experience-API-Hash: {part.sha2}\r\n\r\n".encode(),
            part.content,
            _CRLF,
        ]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"{MULTIPART}; boundary={boundary}"

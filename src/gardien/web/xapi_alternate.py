"""The alternate request syntax of xAPI (1.0.3 Communication 1.3): one POST carrying a request.

A browser that can neither set headers nor send PUT (Internet Explorer's cross-domain requests)
POSTs to ``/xapi/statements?method=PUT`` a form (``application/x-www-form-urlencoded``) holding
the request's headers (Authorization, X-Experience-API-Version, Content-Type, Content-Length,
If-Match, If-None-Match), its content (``content``, a UTF-8 string) and its query parameters
(every other field). A client also uses it to GET statements with filters too long for a URL.
The LRS answers as if the request had been made directly (Communication 1.3.s3.b7, b14).

The query string holds ``method`` and nothing else (1.3.s3.b3); a field given twice, a body
that is not a form, or a method of another kind is a 400. Any xAPI resource can unpack its
requests here: nothing is specific to statements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl

from gardien.errors import XapiValidationError

__all__ = ["FORM_HEADERS", "METHODS", "Unpacked", "is_alternate", "unpack"]

# Form fields read as headers (lower case: header names are compared without case).
FORM_HEADERS = frozenset(
    {
        "authorization",
        "x-experience-api-version",
        "content-type",
        "content-length",
        "if-match",
        "if-none-match",
    }
)
METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE"})
FORM = "application/x-www-form-urlencoded"
# What the content of a statement request is when the form does not say (1.3.s3.b10: SHOULD).
DEFAULT_CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class Unpacked:
    """The request a form carried: its method, headers (lower-case names: the HTTP request's
    own, those of the form replacing them), query parameters and body."""

    method: str
    headers: dict[str, str]
    params: list[tuple[str, str]]
    body: bytes


def is_alternate(query: Sequence[tuple[str, str]]) -> bool:
    """Whether a request uses the alternate syntax: its query string names a ``method``."""
    return any(name == "method" for name, _ in query)


def unpack(
    method: str, query: Sequence[tuple[str, str]], headers: Mapping[str, str], body: bytes
) -> Unpacked:
    """The request carried by a POST in the alternate syntax (``query`` names ``method``).

    ``headers`` are the HTTP request's, by lower-case name. Raises ``XapiValidationError``
    naming what is wrong: ``method``, another query parameter, ``Content-Type``, a field.
    """
    if method != "POST":
        raise XapiValidationError("method", "the alternate request syntax is a POST")
    for name, _ in query:
        if name != "method":
            raise XapiValidationError(
                name, "must be a form field in the alternate request syntax, not in the URL"
            )
    if len(query) > 1:
        raise XapiValidationError("method", "is given more than once")
    intended = query[0][1].upper()
    if intended not in METHODS:
        raise XapiValidationError("method", "must be GET, HEAD, PUT, POST or DELETE")
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM and (media_type or body):
        raise XapiValidationError("Content-Type", f"must be {FORM} in the alternate syntax")
    try:
        fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise XapiValidationError("content", "the form must be UTF-8") from None
    carried = {
        name: value
        for name, value in headers.items()
        if name not in ("content-type", "content-length")
    }
    params: list[tuple[str, str]] = []
    content: str | None = None
    seen: set[str] = set()
    for name, value in fields:
        key = name.lower() if name.lower() in FORM_HEADERS else name
        if key in seen:
            raise XapiValidationError(name, "is given more than once")
        seen.add(key)
        if key in FORM_HEADERS:
            carried[key] = value
        elif name == "content":
            content = value
        else:
            params.append((name, value))
    carried.pop("content-length", None)  # of the form's content: the body is ours to read
    if content is None:
        carried.pop("content-type", None)
        return Unpacked(intended, carried, params, b"")
    carried.setdefault("content-type", DEFAULT_CONTENT_TYPE)
    return Unpacked(intended, carried, params, content.encode("utf-8"))

"""The rules of xAPI's document resources (Communication 2.2-2.7, 3.1): State, Activity Profile
and Agent Profile documents, as plain Python.

A document is bytes with a content type. Its ETag is the SHA-1 of its bytes, in lower-case hex
(3.1.s4.b2). A POST merges JSON objects one level deep (2.2.s7); anything else is refused with
both documents left as they were (2.2.s8). Writes honour ``If-Match`` and ``If-None-Match``
(3.1.s4); a PUT to a profile names one of them, so that nobody overwrites a document they have
not read (3.1.s3.b1, 3.1.s4.b13). No I/O here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson

from gardien.domain.xapi.agents import only_agent
from gardien.domain.xapi.checks import under
from gardien.domain.xapi.formats import is_iri, is_uuid
from gardien.domain.xapi.query import refuse_nul
from gardien.domain.xapi.validate import parse_timestamp
from gardien.errors import XapiDocumentConflictError, XapiPreconditionError, XapiValidationError

Kind = Literal["state", "activity_profile", "agent_profile"]
JSON_TYPE = "application/json"
# A document sent without a Content-Type is kept as bytes of no known kind.
DEFAULT_TYPE = "application/octet-stream"
# IRIs and ids as long as the activity IRIs the statements table holds.
MAX_ID_LENGTH = 2048
ID_PARAMETER: dict[Kind, str] = {
    "state": "stateId",
    "activity_profile": "profileId",
    "agent_profile": "profileId",
}


def etag_of(content: bytes) -> str:
    """The document's ETag: the SHA-1 of its bytes in lower-case hex, as xAPI asks."""
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def is_json(content_type: str) -> bool:
    """Whether a Content-Type is ``application/json`` (parameters such as charset aside)."""
    return content_type.split(";", 1)[0].strip().lower() == JSON_TYPE


def media_type(header: str | None) -> str:
    """The Content-Type a document is kept with: as sent, or :data:`DEFAULT_TYPE`."""
    value = (header or "").strip()
    return value[:255] if value else DEFAULT_TYPE


def checked_content(content: bytes, content_type: str) -> bytes:
    """Refuse a body sent as JSON that is not JSON (Communication 3.2.s3.b6)."""
    if is_json(content_type):
        _parsed(content, "the document")
    return content


def merged(stored: bytes, stored_type: str, posted: bytes, posted_type: str) -> tuple[bytes, str]:
    """The document a POST leaves: ``stored`` with each top-level property of ``posted`` set.

    Both must be JSON objects sent as ``application/json`` (2.2.s8.b1), else the POST is
    refused naming which; a property's whole value is replaced, never merged deeper.
    """
    for content_type, which in ((posted_type, "the posted"), (stored_type, "the stored")):
        if not is_json(content_type):
            raise XapiValidationError(
                "Content-Type",
                f"a POST merges JSON objects: {which} document is not application/json",
            )
    old = _parsed(stored, "the stored document")
    new = _parsed(posted, "the posted document")
    for data, which in ((new, "the posted"), (old, "the stored")):
        if not isinstance(data, dict):
            raise XapiValidationError("document", f"a POST merges JSON objects: {which} is not one")
    return orjson.dumps({**old, **new}), posted_type


def _parsed(content: bytes, which: str) -> Any:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        raise XapiValidationError("document", f"{which} is not valid JSON") from None


# -- concurrency (Communication 3.1) ----------------------------------------------------------


@dataclass(frozen=True)
class Preconditions:
    """The request's ``If-Match`` and ``If-None-Match`` headers (None when absent);
    ``guarded_state``: the State resource too refuses to overwrite without them (xAPI 2.0,
    4.1.4; 1.0.3 lets a State PUT overwrite freely)."""

    if_match: str | None = None
    if_none_match: str | None = None
    guarded_state: bool = False

    @property
    def given(self) -> bool:
        return self.if_match is not None or self.if_none_match is not None


def _tags(header: str) -> list[str]:
    """The entity tags of a header (``"a", W/"b"``), unquoted; ``*`` as itself."""
    tags = []
    for part in header.split(","):
        tag = part.strip().removeprefix("W/").strip().strip('"').lower()
        if tag:
            tags.append(tag)
    return tags


def check_write(
    current: str | None,
    conditions: Preconditions,
    *,
    method: Literal["PUT", "POST", "DELETE"],
    kind: Kind,
) -> None:
    """Refuse a write whose preconditions do not hold against ``current`` (the stored
    document's ETag, None when there is none).

    ``If-Match`` holds when a document is stored and its ETag is listed (or ``*``);
    ``If-None-Match`` when none is stored, or its ETag is not listed. A PUT to a profile
    without either header is refused: 409 over a stored document, 400 otherwise, since the
    client was bound to send one (3.1.s3.b1). The State resource takes writes without them,
    but in xAPI 2.0 not over a stored state (409).
    """
    if conditions.if_match is not None:
        tags = _tags(conditions.if_match)
        if current is None or not ("*" in tags or current in tags):
            raise XapiPreconditionError(
                "If-Match",
                "the stored document has another ETag (or there is none): read it again",
            )
    if conditions.if_none_match is not None and current is not None:
        tags = _tags(conditions.if_none_match)
        if "*" in tags or current in tags:
            raise XapiPreconditionError(
                "If-None-Match", "a document is already stored here: read it first"
            )
    if method == "PUT" and kind == "state" and conditions.guarded_state:
        if current is not None and not conditions.given:
            raise XapiDocumentConflictError(
                "a state is already stored here: GET it, then PUT again with its ETag in"
                " If-Match to replace it"
            )
    elif method == "PUT" and kind != "state" and not conditions.given:
        if current is not None:
            raise XapiDocumentConflictError(
                "a document is already stored here: GET it, then PUT again with its ETag in"
                " If-Match to replace it"
            )
        raise XapiValidationError(
            "If-None-Match",
            "a PUT to a profile needs If-Match (the ETag of the document it replaces)"
            ' or If-None-Match: "*" (to create one)',
        )


# -- parameters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    """Which document(s) a request names. ``document_id`` None: every id (a list, or a State
    DELETE of them all); ``registration`` None: any (for a list) or none (for one document)."""

    kind: Kind
    activity_id: str | None = None
    agent: Mapping[str, Any] | None = None
    registration: str | None = None
    document_id: str | None = None


# Which parameters each resource takes, by method, beyond its document id (3.2.s3.b7).
_PARAMETERS: dict[Kind, frozenset[str]] = {
    "state": frozenset({"activityId", "agent", "registration", "stateId"}),
    "activity_profile": frozenset({"activityId", "profileId"}),
    "agent_profile": frozenset({"agent", "profileId"}),
}


def address(
    kind: Kind, params: Sequence[tuple[str, str]], *, method: str
) -> tuple[Address, datetime | None]:
    """The document(s) a request names, and its ``since`` (a GET of ids only), checked.

    A missing or malformed parameter, one this resource does not know, or one given twice is
    a :class:`XapiValidationError` naming it.
    """
    allowed = _PARAMETERS[kind] | ({"since"} if method in ("GET", "HEAD") else set())
    values: dict[str, str] = {}
    for name, value in params:
        if name not in allowed:
            raise XapiValidationError(name, "not a parameter of this resource")
        if name in values:
            raise XapiValidationError(name, "given more than once")
        if "\x00" in value:
            raise XapiValidationError(name, "must not contain the NUL character (U+0000)")
        values[name] = value
    id_name = ID_PARAMETER[kind]
    document_id = values.get(id_name)
    if document_id is None and not (
        method in ("GET", "HEAD") or (method, kind) == ("DELETE", "state")
    ):
        raise XapiValidationError(id_name, "required")
    if document_id is not None and not 0 < len(document_id) <= MAX_ID_LENGTH:
        raise XapiValidationError(id_name, f"must be 1 to {MAX_ID_LENGTH} characters")
    activity_id = None
    if kind != "agent_profile":
        activity_id = _required(values, "activityId")
        if len(activity_id) > MAX_ID_LENGTH or not is_iri(activity_id):
            raise XapiValidationError("activityId", "must be an IRI")
    agent = document_agent(_required(values, "agent")) if kind != "activity_profile" else None
    registration = values.get("registration")
    if registration is not None and not is_uuid(registration):
        raise XapiValidationError("registration", "must be a UUID")
    since = None
    if "since" in values:
        since = parse_timestamp(values["since"], prop="since")
    found = Address(
        kind,
        activity_id=activity_id,
        agent=agent,
        registration=registration.lower() if registration else None,
        document_id=document_id,
    )
    return found, since if document_id is None else None


def _required(values: Mapping[str, str], name: str) -> str:
    value = values.get(name)
    if not value:
        raise XapiValidationError(name, "required")
    return value


def document_agent(text: str) -> dict[str, Any]:
    """The ``agent`` parameter: the JSON of an Agent with one identifier (2.3.s3, 2.6.s3)."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise XapiValidationError("agent", "not valid JSON") from None
    try:
        only_agent(data)
        refuse_nul(data)
    except XapiValidationError as err:
        raise under("agent", err) from None
    assert isinstance(data, dict)
    return data

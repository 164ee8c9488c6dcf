"""The xAPI document resources and the Activities and Agents resources (Communication 2.2-2.7).

``/xapi/activities/state``, ``/xapi/activities/profile`` and ``/xapi/agents/profile`` take
PUT, POST, GET (HEAD) and DELETE of documents; ``/xapi/activities?activityId=`` and
``/xapi/agents?agent=`` answer GET (HEAD). Credentials and the version header are checked as
for statements (``web/xapi.py``). A document comes back with the Content-Type it was sent with,
its ``ETag`` (SHA-1 of its bytes, quoted) and ``Last-Modified``; a list of ids as a JSON array.
Errors are JSON ``{"error": ..., "property": ...}``: 400 names the parameter or header, 404 a
document that is not there, 409 a PUT over a document without If-Match, 412 an If-Match or
If-None-Match that does not hold.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.utils import format_datetime
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from gardien.bootstrap import Container
from gardien.domain.xapi.documents import (
    Kind,
    Preconditions,
    address,
    document_agent,
    media_type,
)
from gardien.domain.xapi.formats import is_iri
from gardien.domain.xapi.pseudonyms import Pseudonyms
from gardien.errors import XapiDocumentConflictError, XapiPreconditionError, XapiValidationError
from gardien.services.xapi import documents as service
from gardien.store.uow import UnitOfWork
from gardien.web.deps import BodyDep
from gardien.web.xapi import HEADERS, checked_client
from gardien.web.xapi_version import V2, negotiated

router = APIRouter(prefix="/xapi", include_in_schema=False)
RESOURCES: dict[str, Kind] = {
    "/activities/state": "state",
    "/activities/profile": "activity_profile",
    "/agents/profile": "agent_profile",
}


def _headers(container: Container, extra: dict[str, str] | None = None) -> dict[str, str]:
    now = container.clock.now().isoformat()
    return {**HEADERS, "X-Experience-API-Consistent-Through": now, **(extra or {})}


def _answer(
    request: Request,
    container: Container,
    status: int,
    content: bytes = b"",
    *,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An answer; a HEAD request gets its headers without the body (Communication 1.1)."""
    body = b"" if request.method == "HEAD" else content
    return Response(
        body, status_code=status, media_type=content_type, headers=_headers(container, headers)
    )


def _json(
    request: Request, container: Container, data: Any, updated: datetime | None = None
) -> Response:
    body = orjson.dumps(data)
    headers = {"ETag": f'"{hashlib.sha1(body, usedforsecurity=False).hexdigest()}"'}
    if updated is not None:
        headers["Last-Modified"] = format_datetime(updated, usegmt=True)
    return _answer(request, container, 200, body, content_type="application/json", headers=headers)


def _error(container: Container, status: int, message: str, prop: str | None = None) -> Response:
    body = {"error": message} if prop is None else {"error": message, "property": prop}
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers=_headers(container),
    )


Refusal = XapiValidationError | XapiPreconditionError | XapiDocumentConflictError


def _refused(container: Container, error: Refusal) -> Response:
    if isinstance(error, XapiPreconditionError):
        return _error(container, 412, error.problem, error.header)
    if isinstance(error, XapiDocumentConflictError):
        return _error(container, 409, error.problem)
    return _error(container, 400, error.problem, error.prop)


def _pseudonyms(container: Container) -> Pseudonyms:
    return Pseudonyms(container.lookup, container.settings.public_url)


def _conditions(request: Request) -> Preconditions:
    return Preconditions(
        if_match=request.headers.get("if-match"),
        if_none_match=request.headers.get("if-none-match"),
        guarded_state=negotiated(request.headers.get("x-experience-api-version")) == V2,
    )


def _read(request: Request, kind: Kind) -> Response:
    checked = checked_client(request)
    if isinstance(checked, Response):
        return checked
    container, _ = checked
    try:
        found, since = address(kind, request.query_params.multi_items(), method="GET")
        if found.document_id is None:
            ids, updated = service.document_ids(
                container.engine, found, since=since, pseudonyms=_pseudonyms(container)
            )
            return _json(request, container, ids, updated)
        document = service.read_document(container.engine, found, pseudonyms=_pseudonyms(container))
    except XapiValidationError as error:
        return _refused(container, error)
    if document is None:
        return _error(container, 404, "no such document", found.kind)
    headers = {
        "ETag": f'"{document.etag}"',
        "Last-Modified": format_datetime(document.updated_at, usegmt=True),
    }
    return _answer(
        request,
        container,
        200,
        document.content,
        content_type=document.content_type,
        headers=headers,
    )


def _write(request: Request, body: bytes, kind: Kind) -> Response:
    checked = checked_client(request)
    if isinstance(checked, Response):
        return checked
    container, _ = checked
    method: Literal["PUT", "POST"] = "PUT" if request.method == "PUT" else "POST"
    try:
        found, _ = address(kind, request.query_params.multi_items(), method=method)
        service.write_document(
            UnitOfWork(container.engine, write=True),
            found,
            body,
            media_type(request.headers.get("content-type")),
            _conditions(request),
            method=method,
            pseudonyms=_pseudonyms(container),
            clock=container.clock,
        )
    except (XapiValidationError, XapiPreconditionError, XapiDocumentConflictError) as error:
        return _refused(container, error)
    return _answer(request, container, 204)


def _delete(request: Request, kind: Kind) -> Response:
    checked = checked_client(request)
    if isinstance(checked, Response):
        return checked
    container, _ = checked
    try:
        found, _ = address(kind, request.query_params.multi_items(), method="DELETE")
        service.delete_documents(
            UnitOfWork(container.engine, write=True),
            found,
            _conditions(request),
            pseudonyms=_pseudonyms(container),
        )
    except (XapiValidationError, XapiPreconditionError) as error:
        return _refused(container, error)
    return _answer(request, container, 204)


def _add_routes(path: str, kind: Kind) -> None:
    def read(request: Request) -> Response:
        return _read(request, kind)

    def write(request: Request, body: BodyDep) -> Response:
        return _write(request, body, kind)

    def remove(request: Request) -> Response:
        return _delete(request, kind)

    router.add_api_route(path, read, methods=["GET", "HEAD"])
    router.add_api_route(path, write, methods=["PUT", "POST"])
    router.add_api_route(path, remove, methods=["DELETE"])


for _path, _kind in RESOURCES.items():
    _add_routes(_path, _kind)


def _only(request: Request, name: str) -> str:
    """The one parameter a GET takes (``activityId``, ``agent``): required, alone, once."""
    params = request.query_params.multi_items()
    for key, _ in params:
        if key != name:
            raise XapiValidationError(key, "not a parameter of this resource")
    values = [value for _, value in params]
    if len(values) != 1 or not values[0]:
        raise XapiValidationError(name, "required, once")
    if "\x00" in values[0]:
        raise XapiValidationError(name, "must not contain the NUL character (U+0000)")
    return values[0]


@router.api_route("/activities", methods=["GET", "HEAD"])
def get_activity(request: Request) -> Response:
    checked = checked_client(request)
    if isinstance(checked, Response):
        return checked
    container, _ = checked
    try:
        activity_id = _only(request, "activityId")
        if not is_iri(activity_id):
            raise XapiValidationError("activityId", "must be an IRI")
    except XapiValidationError as error:
        return _refused(container, error)
    return _json(request, container, service.activity(container.engine, activity_id))


@router.api_route("/agents", methods=["GET", "HEAD"])
def get_person(request: Request) -> Response:
    checked = checked_client(request)
    if isinstance(checked, Response):
        return checked
    container, _ = checked
    try:
        agent = document_agent(_only(request, "agent"))
        found = service.person(container.engine, agent, pseudonyms=_pseudonyms(container))
    except XapiValidationError as error:
        return _refused(container, error)
    return _json(request, container, found)

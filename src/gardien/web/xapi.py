"""The xAPI resources: ``/xapi/statements`` (GET, HEAD, PUT, POST) and ``/xapi/about``.

Version 1.0.3. Every request but About needs ``X-Experience-API-Version`` (1.0.x, or 2.0.0) and
HTTP Basic credentials of a client (``gardien xapi client add``). Errors are JSON
``{"error": ..., "property": ...}``: 400 names the offending property, 401 asks for credentials,
404 for an unknown statement, 409 for an id already stored with other content, 503 with
``Retry-After`` when another writer holds the database past the request's budget (nothing
stored: send the batch again).

HEAD answers as GET without the body (Communication 1.1). A POST with ``?method=`` carries
another request as a form (the alternate syntax, ``xapi_alternate``). PUT and POST take
``application/json`` (``multipart/mixed``: statements with attachments). Every answer of the
statements resource carries ``X-Experience-API-Consistent-Through``; GET's parameters are read
in ``xapi_query``, its formats (exact, ids, canonical) made in ``domain.xapi.canonical``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from email.utils import format_datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from gardien.bootstrap import Container
from gardien.domain.xapi.attachments import with_checked_attachments
from gardien.domain.xapi.canonical import accepted_languages, in_format
from gardien.domain.xapi.query import check_query, statements_json
from gardien.domain.xapi.validate import parse_timestamp, validate_batch, validate_statement
from gardien.errors import XapiConflictError, XapiValidationError
from gardien.services.xapi.attachments import attachment_parts, keep_attachments
from gardien.services.xapi.clients import Authenticator
from gardien.services.xapi.ingest import VERSION, store_statements
from gardien.services.xapi.read import find_statements, statement_by_id
from gardien.store import xapi as store
from gardien.store.uow import UnitOfWork
from gardien.web.deps import BodyDep, get_container
from gardien.web.write_turns import BATCH_TURN
from gardien.web.xapi_alternate import is_alternate, unpack
from gardien.web.xapi_multipart import multipart_body, parse_multipart
from gardien.web.xapi_query import ById, more_url, read_query, single
from gardien.web.xapi_version import SUPPORTED, V2, negotiated

# Not in the OpenAPI schema: these resources follow the xAPI specification, a contract of its
# own (the version header, the client's Basic credentials, statements as xAPI defines them,
# errors as LRSs answer them) that learning platforms already implement; docs/xapi.md and
# docs/xapi-validation.md describe them, tests/e2e/test_xapi*.py test them.
router = APIRouter(prefix="/xapi", include_in_schema=False)
HEADERS = {"X-Experience-API-Version": VERSION}
CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(data),
        status_code=status,
        media_type="application/json",
        headers={**HEADERS, **(headers or {})},
    )


def _error(
    status: int, message: str, prop: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {"error": message}
    if prop is not None:
        body["property"] = prop
    return _json(body, status, headers)


def _authenticator(request: Request) -> Authenticator:
    found = getattr(request.app.state, "xapi_auth", None)
    if found is None:
        found = Authenticator(get_container(request).engine)
        request.app.state.xapi_auth = found
    assert isinstance(found, Authenticator)
    return found


def checked_client(
    request: Request, headers: Mapping[str, str] | None = None
) -> tuple[Container, store.Client] | Response:
    """The container and the client, or the answer refusing the request (``headers`` are the
    request's by default, or those an alternate-syntax form carried)."""
    if headers is None:
        headers = {name.lower(): value for name, value in request.headers.items()}
    version = negotiated(headers.get("x-experience-api-version"))
    client = _authenticator(request).client(headers.get("authorization"))
    if version is None:
        # Which version to answer a request that names none in? The one this client spoke
        # last (a client speaks one version), else the latest.
        said = _spoken(request).get(client.id, V2) if client is not None else V2
        return _error(
            400,
            "X-Experience-API-Version must be 1.0.x or 2.0.x",
            "header",
            headers={"X-Experience-API-Version": said},
        )
    if client is None:
        return _error(
            401,
            "client credentials required (HTTP Basic)",
            headers={"WWW-Authenticate": 'Basic realm="xAPI"'},
        )
    _spoken(request)[client.id] = version
    return get_container(request), client


def _spoken(request: Request) -> dict[int, str]:
    """The version each client last spoke, in this process (web/xapi_version.py)."""
    spoken = getattr(request.app.state, "xapi_spoken", None)
    if spoken is None:
        spoken = request.app.state.xapi_spoken = {}
    assert isinstance(spoken, dict)
    return spoken


def without_body(answer: Response, *, http_head: bool = True) -> Response:
    """The answer to HEAD: the answer to GET, its status and headers, without its body
    (Communication 1.1.s3.b1). Content-Length stays that of the body GET would send, unless
    the HEAD came in a POST (alternate syntax), whose answer has a body: an empty one."""
    headers = dict(answer.headers)
    if not http_head:
        headers.pop("content-length", None)
    return Response(status_code=answer.status_code, headers=headers)


@router.api_route("/about", methods=["GET", "HEAD"])
def about(request: Request) -> Response:
    answer = _json({"version": list(SUPPORTED)})
    return without_body(answer) if request.method == "HEAD" else answer


def _content(headers: Mapping[str, str], body: bytes) -> tuple[Any, dict[str, bytes]]:
    """The statement or statements a PUT or POST carries, by its Content-Type (Communication
    1.5), and the attachments' content by SHA-256: JSON alone, or ``multipart/mixed`` whose
    first part is the JSON and the others the attachments (``xapi_multipart``)."""
    if not body:
        raise XapiValidationError("body", "is empty: statements are expected")
    content_type = headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "application/json":
        return statements_json(body), {}
    if media_type == "multipart/mixed":
        return parse_multipart(body, content_type)
    raise XapiValidationError(
        "Content-Type",
        "must be application/json (or multipart/mixed for statements with attachments)",
    )


def _store(
    container: Container,
    client: store.Client,
    statements: list[dict[str, Any]],
    parts: dict[str, bytes],
) -> Any:
    """Store ``statements``, then keep the content of their attachments (``parts``)."""
    stored = store_statements(
        UnitOfWork(container.engine, write=True),
        statements,
        client=client,
        home_page=container.settings.public_url,
        clock=container.clock,
        lookup=container.lookup,
    )
    keep_attachments(
        container.engine, container.blobs, statements, stored.ids, parts, clock=container.clock
    )
    return stored


@router.api_route("/statements", methods=["GET", "HEAD", "PUT", "POST"])
def statements(request: Request, body: BodyDep) -> Response:
    """The statements resource; every answer, errors included, says how far it is consistent
    (``X-Experience-API-Consistent-Through``, Communication 2.1.3.s2.b5)."""
    through = get_container(request).clock.now().isoformat()
    answer = _statements(request, body)
    answer.headers[CONSISTENT_THROUGH] = through
    return answer


def _refuse_in_v2(headers: Mapping[str, str]) -> None:
    """xAPI 2.0 withdrew the alternate request syntax (4.1.6.1): a 2.0 request using it is
    refused, whether its version comes in HTTP's headers or in the form."""
    if negotiated(headers.get("x-experience-api-version")) == V2:
        raise XapiValidationError("method", "xAPI 2.0 has no alternate request syntax")


def _statements(request: Request, body: bytes) -> Response:
    method = request.method
    query = request.query_params.multi_items()
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        if is_alternate(query):
            _refuse_in_v2(headers)
            carried = unpack(method, query, headers, body)
            method, query, headers, body = (
                carried.method,
                carried.params,
                carried.headers,
                carried.body,
            )
            _refuse_in_v2(headers)
    except XapiValidationError as error:
        return _error(400, error.problem, error.prop)
    checked = checked_client(request, headers)
    if isinstance(checked, Response):
        return checked
    container, client = checked
    try:
        if method in ("GET", "HEAD"):
            answer = _get(container, query, headers)
            if method == "HEAD":
                return without_body(answer, http_head=request.method == "HEAD")
            return answer
        if method in ("PUT", "POST"):
            with BATCH_TURN.taken(container.settings.write_wait_seconds):
                if method == "PUT":
                    return _put(container, client, query, headers, body)
                return _post(container, client, query, headers, body)
    except XapiValidationError as error:
        return _error(400, error.problem, error.prop)
    except XapiConflictError as error:
        return _error(409, str(error), "id")
    return _error(
        405,
        "the statements resource takes GET, HEAD, PUT and POST",
        "method",
        headers={"Allow": "GET, HEAD, PUT, POST"},
    )


def _post(
    container: Container,
    client: store.Client,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
) -> Response:
    if query:
        raise XapiValidationError(query[0][0], "not a parameter of POST /statements: it has none")
    data, parts = _content(headers, body)
    statements = with_checked_attachments(validate_batch(data), parts)
    return _json(_store(container, client, statements, parts).ids)


def _put(
    container: Container,
    client: store.Client,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
) -> Response:
    params = single(query)
    for name in params:
        if name != "statementId":
            raise XapiValidationError(name, "not a parameter of PUT /statements")
    statement_id = params.get("statementId")
    if not statement_id:
        raise XapiValidationError("statementId", "PUT needs the statementId parameter")
    check_query(query)
    statement, parts = _content(headers, body)
    validate_statement(statement)
    if str(statement.get("id", statement_id)).lower() != statement_id.lower():
        raise XapiValidationError("id", "differs from the statementId parameter")
    statement = with_checked_attachments([statement], parts)[0]
    _store(container, client, [{**statement, "id": statement_id}], parts)
    return Response(status_code=204, headers=HEADERS)


def _get(
    container: Container, query: Sequence[tuple[str, str]], headers: Mapping[str, str]
) -> Response:
    asked = read_query(query)
    accepted = accepted_languages(headers.get("accept-language"))
    if isinstance(asked, ById):
        found = statement_by_id(container.engine, asked.statement_id, voided=asked.voided)
        if found is None:
            name = "voidedStatementId" if asked.voided else "statementId"
            return _error(404, "no such statement", name)
        shown = in_format(found, asked.format, accepted)
        return _answer(container, shown, [found], asked.attachments, _last_modified(found))
    statements, after = find_statements(
        container.engine,
        asked.filters,
        home_page=container.settings.public_url,
        lookup=container.lookup,
    )
    result = {
        "statements": [in_format(s, asked.format, accepted) for s in statements],
        "more": more_url(asked.params, after) if after is not None else "",
    }
    return _answer(container, result, statements, asked.attachments, {})


def _answer(
    container: Container,
    data: Any,
    statements: list[Any],
    attachments: bool,
    headers: dict[str, str],
) -> Response:
    """JSON, or with ``attachments=true`` multipart/mixed: the JSON, then the content kept for
    the statements' attachments (Communication 2.1.3.s2.b6)."""
    if not attachments:
        return _json(data, headers=headers)
    parts = attachment_parts(container.engine, container.blobs, statements)
    body, content_type = multipart_body(orjson.dumps(data), parts)
    return Response(body, media_type=content_type, headers={**HEADERS, **headers})


def _last_modified(statement: Mapping[str, Any]) -> dict[str, str]:
    """``Last-Modified``: when the statement was stored (Communication 2.1.3.s2.b8)."""
    stored = statement.get("stored")
    if not isinstance(stored, str):
        return {}
    try:
        return {"Last-Modified": format_datetime(parse_timestamp(stored), usegmt=True)}
    except XapiValidationError:
        return {}

"""The xAPI resources: ``/xapi/statements`` (POST, PUT, GET) and ``/xapi/about``.

Version 1.0.3. Every request but About needs ``X-Experience-API-Version`` (1.0.x, or 2.0.0) and
HTTP Basic credentials of a client (``gardien xapi client add``). Errors are JSON
``{"error": ..., "property": ...}``: 400 names the offending property, 401 asks for credentials,
404 for an unknown statement, 409 for an id already stored with other content, 503 with
``Retry-After`` when another writer holds the database past the request's budget (nothing
stored: send the batch again).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from gardien.bootstrap import Container
from gardien.domain.json_checks import NUL_ESCAPE
from gardien.domain.xapi.query import check_agent_filter, check_query, refuse_nul
from gardien.domain.xapi.validate import parse_timestamp, validate_batch, validate_statement
from gardien.errors import XapiConflictError, XapiValidationError
from gardien.services.xapi.clients import Authenticator
from gardien.services.xapi.ingest import VERSION, store_statements
from gardien.services.xapi.read import StatementFilters, find_statements, statement_by_id
from gardien.store import xapi as store
from gardien.store.uow import UnitOfWork
from gardien.web.deps import BodyDep, get_container

# Not in the OpenAPI schema: these resources follow the xAPI specification, a contract of its
# own (the version header, the client's Basic credentials, statements as xAPI defines them,
# errors as LRSs answer them) that learning platforms already implement; docs/xapi.md and
# docs/xapi-validation.md describe them, tests/e2e/test_xapi*.py test them.
router = APIRouter(prefix="/xapi", include_in_schema=False)
MAX_LIMIT = 500
HEADERS = {"X-Experience-API-Version": VERSION}


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


def _checked(request: Request) -> tuple[Container, store.Client] | Response:
    version = request.headers.get("x-experience-api-version", "")
    if not (version.startswith("1.0.") or version == "2.0.0"):
        return _error(400, "X-Experience-API-Version must be 1.0.x (or 2.0.0)", "header")
    client = _authenticator(request).client(request.headers.get("authorization"))
    if client is None:
        return _error(
            401,
            "client credentials required (HTTP Basic)",
            headers={"WWW-Authenticate": 'Basic realm="xAPI"'},
        )
    return get_container(request), client


@router.get("/about")
def about() -> Response:
    return _json({"version": [VERSION, "1.0.0"]})


def _parsed(raw: bytes) -> Any:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise XapiValidationError("body", "not valid JSON") from None
    if NUL_ESCAPE in raw:  # PostgreSQL cannot store it: refused on SQLite too
        refuse_nul(data)
    return data


def _store(container: Container, client: store.Client, statements: list[dict[str, Any]]) -> Any:
    return store_statements(
        UnitOfWork(container.engine, write=True),
        statements,
        client=client,
        home_page=container.settings.public_url,
        clock=container.clock,
        lookup=container.lookup,
    )


@router.post("/statements")
def post_statements(request: Request, body: BodyDep) -> Response:
    checked = _checked(request)
    if isinstance(checked, Response):
        return checked
    container, client = checked
    try:
        statements = validate_batch(_parsed(body))
        stored = _store(container, client, statements)
    except XapiValidationError as error:
        return _error(400, error.problem, error.prop)
    except XapiConflictError as error:
        return _error(409, str(error), "id")
    return _json(stored.ids)


@router.put("/statements")
def put_statement(request: Request, body: BodyDep, statementId: str | None = None) -> Response:
    checked = _checked(request)
    if isinstance(checked, Response):
        return checked
    container, client = checked
    if not statementId:
        return _error(400, "PUT needs the statementId parameter", "statementId")
    try:
        check_query(request.query_params.multi_items())
        statement = _parsed(body)
        validate_statement(statement)
        if str(statement.get("id", statementId)).lower() != statementId.lower():
            raise XapiValidationError("id", "differs from the statementId parameter")
        _store(container, client, [{**statement, "id": statementId}])
    except XapiValidationError as error:
        return _error(400, error.problem, error.prop)
    except XapiConflictError as error:
        return _error(409, str(error), "id")
    return Response(status_code=204, headers=HEADERS)


def _cursor(token: str) -> tuple[datetime, int]:
    try:
        at, _, last = base64.urlsafe_b64decode(token.encode()).decode().partition("|")
        after = parse_timestamp(at, prop="cursor"), int(last)
    except (ValueError, UnicodeDecodeError, XapiValidationError):
        after = None
    # A forged cursor must not reach the database: an id past 64 bits is a driver error there.
    if after is None or not 0 <= after[1] < 2**63:
        raise XapiValidationError("cursor", "not a cursor this server gave")
    return after


def _token(after: tuple[datetime, int]) -> str:
    at, last = after
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{last}".encode()).decode()


@router.get("/statements")
def get_statements(request: Request) -> Response:
    checked = _checked(request)
    if isinstance(checked, Response):
        return checked
    container, _ = checked
    params = request.query_params
    consistent = {"X-Experience-API-Consistent-Through": container.clock.now().isoformat()}
    try:
        check_query(params.multi_items())
        for name, voided in (("statementId", False), ("voidedStatementId", True)):
            if name in params:
                found = statement_by_id(container.engine, params[name], voided=voided)
                if found is None:
                    return _error(404, "no such statement", name)
                return _json(found, headers=consistent)
        statements, after = find_statements(
            container.engine,
            _filters(params),
            home_page=container.settings.public_url,
            lookup=container.lookup,
        )
    except XapiValidationError as error:
        return _error(400, error.problem, error.prop)
    more = ""
    if after is not None:
        rest = {k: v for k, v in params.items() if k != "cursor"}
        more = f"/xapi/statements?{urlencode({**rest, 'cursor': _token(after)})}"
    return _json({"statements": statements, "more": more}, headers=consistent)


_FILTERS = {
    "agent",
    "verb",
    "activity",
    "registration",
    "since",
    "until",
    "limit",
    "ascending",
    "cursor",
    "format",
    "attachments",
    "related_activities",
    "related_agents",
}


def _filters(params: Any) -> StatementFilters:
    unknown = set(params) - _FILTERS
    if unknown:
        raise XapiValidationError(sorted(unknown)[0], "not a parameter of GET /statements")
    if params.get("related_activities", "false").lower() != "false":
        raise XapiValidationError("related_activities", "not supported by this LRS: leave it false")
    related_agents = params.get("related_agents", "false").lower()
    if related_agents not in ("true", "false"):
        raise XapiValidationError("related_agents", "must be true or false")
    if params.get("format", "exact") not in ("exact", "ids", "canonical"):
        raise XapiValidationError("format", "must be exact, ids or canonical")
    agent = None
    if "agent" in params:
        try:
            agent = orjson.loads(params["agent"])
        except orjson.JSONDecodeError:
            raise XapiValidationError("agent", "not valid JSON") from None
        check_agent_filter(agent)
    try:
        limit = int(params.get("limit", "100") or "100")
    except ValueError:
        raise XapiValidationError("limit", "not a whole number") from None
    if limit < 0:
        raise XapiValidationError("limit", "must be 0 or more")
    ascending = params.get("ascending", "false").lower()
    if ascending not in ("true", "false"):
        raise XapiValidationError("ascending", "must be true or false")
    return StatementFilters(
        agent=agent,
        related_agents=related_agents == "true",
        verb=params.get("verb"),
        activity=params.get("activity"),
        registration=params.get("registration"),
        since=_instant(params, "since"),
        until=_instant(params, "until"),
        limit=MAX_LIMIT if limit == 0 else min(limit, MAX_LIMIT),
        ascending=ascending == "true",
        after=_cursor(params["cursor"]) if "cursor" in params else None,
    )


def _instant(params: Any, name: str) -> datetime | None:
    if name not in params:
        return None
    return parse_timestamp(params[name], prop=name)  # in UTC, or a 400 naming ``name``

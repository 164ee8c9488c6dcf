"""The JSON API: transmissions to sponsors and funding bodies (``POST /api/transmissions``).

Callers authenticate with ``Authorization: Bearer <GARDIEN_API_TOKEN>``; without a configured
token the API refuses everyone. The answer is the payload itself (JSON or CSV), with its
SHA-256 and the disclosure-log ids in headers; errors are JSON ``{"error": ...}``: 401 without
the token, 403 when the policy refuses (with the policy's words), 404 for an unknown contract or
sponsor, 422 for a malformed request, 503 with ``Retry-After`` when another writer holds the
database past the request's budget (nothing logged, nothing sent). The OpenAPI schema
(``/openapi.json``) states exactly this; its models are in :mod:`gardien.web.api_models`.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from gardien.errors import DisclosureRefusedError, InvalidInputError, NotFoundError
from gardien.services.transmission import Target, transmit
from gardien.store.uow import UnitOfWork
from gardien.web.api_models import (
    TRANSMISSION_EXAMPLES,
    TRANSMISSION_RESPONSES,
    SponsorTransmission,
    TransmissionRequest,
    explain,
)
from gardien.web.deps import ContainerDep


class _Unauthenticated(Exception):
    pass


class _ApiRoute(APIRoute):
    """A route whose refusals before the handler (no token, a malformed body) are API errors."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except _Unauthenticated:
                return JSONResponse(
                    {"error": "authentication required: Authorization: Bearer <token>"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            except RequestValidationError as invalid:
                return _error(422, explain(invalid.errors(), await _json_body(request)))
            except HTTPException as refused:
                if refused.status_code != 400:  # FastAPI's answer to bytes that are no text
                    raise
                return _error(422, explain([], None))

        return answer


router = APIRouter(prefix="/api", route_class=_ApiRoute)
_BEARER = HTTPBearer(scheme_name="apiToken", description="GARDIEN_API_TOKEN", auto_error=False)


def _error(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


async def _json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def _authenticated(
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
) -> None:
    # A dependency: it runs before the body is read, so a caller without the token learns
    # nothing, not even whether its body is well formed.
    token = container.settings.api_token
    if token is None or credentials is None:
        raise _Unauthenticated
    expected = token.get_secret_value().encode()
    if not hmac.compare_digest(credentials.credentials.strip().encode(), expected):
        raise _Unauthenticated


@router.post(
    "/transmissions",
    response_model=None,
    responses=TRANSMISSION_RESPONSES,
    dependencies=[Depends(_authenticated)],
)
def create_transmission(
    body: Annotated[TransmissionRequest, Body(openapi_examples=TRANSMISSION_EXAMPLES)],
    container: ContainerDep,
) -> Response:
    """Build, log and return a transmission; only what the policy allows leaves.

    The body names one contract, or a sponsor and a period: every contract of that sponsor
    that runs at some point in it.
    """
    asked = body.root
    if isinstance(asked, SponsorTransmission) and asked.start > asked.end:
        # The schema cannot say "from <= until"; a period without a day has no contract in it.
        return _error(403, "no contract runs in a period that ends before it starts")
    try:
        if isinstance(asked, SponsorTransmission):
            target = Target(sponsor=asked.sponsor, start=asked.start, end=asked.end)
        else:
            target = Target(contract=asked.contract)
        sent = transmit(
            UnitOfWork(container.engine, write=True),
            policy=container.policy,
            clock=container.clock,
            target=target,
            recipient=asked.recipient,
            fmt=asked.format,
            actor="api",
        )
    except DisclosureRefusedError as refusal:
        policy = {"fr": refusal.policy_fr, "en": refusal.policy_en} if refusal.policy_fr else None
        return _error(403, refusal.problem, policy=policy)
    except NotFoundError as missing:
        return _error(404, str(missing))
    except InvalidInputError as invalid:
        return _error(422, str(invalid))
    return Response(
        content=sent.payload,
        media_type=sent.media_type,
        headers={
            "X-Payload-SHA256": sent.sha256,
            "X-Disclosure-Ids": ",".join(map(str, sent.disclosure_ids)),
        },
    )

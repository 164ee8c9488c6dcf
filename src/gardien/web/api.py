"""The JSON API: transmissions to sponsors and funding bodies (``POST /api/transmissions``).

Callers authenticate with ``Authorization: Bearer <GARDIEN_API_TOKEN>``; without a configured
token the API refuses everyone. The answer is the payload itself (JSON or CSV), with its
SHA-256 and the disclosure-log ids in headers; errors are JSON ``{"error": ...}``: 401 without
the token, 403 when the policy refuses (with the policy's words), 404 for an unknown contract or
sponsor, 422 for a malformed request, 503 with ``Retry-After`` when another writer holds the
database past the request's budget (nothing logged, nothing sent).
"""

from __future__ import annotations

import hmac
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from gardien.errors import DisclosureRefusedError, InvalidInputError, NotFoundError
from gardien.services.transmission import Target, transmit
from gardien.store.uow import UnitOfWork
from gardien.web.deps import ContainerDep

router = APIRouter(prefix="/api")


class TransmissionRequest(BaseModel):
    """One contract, or a sponsor's contracts over a period, for one recipient."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    recipient: str = Field(min_length=1, max_length=64)
    contract: str | None = Field(default=None, max_length=64)
    sponsor: str | None = Field(default=None, max_length=64)
    start: date | None = Field(default=None, alias="from")
    end: date | None = Field(default=None, alias="until")
    format: Literal["json", "csv"] = "json"


def _error(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def _authorised(container: ContainerDep, authorization: str | None) -> bool:
    token = container.settings.api_token
    if token is None or authorization is None:
        return False
    scheme, _, given = authorization.partition(" ")
    expected = token.get_secret_value().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)


@router.post("/transmissions", response_model=None)
def create_transmission(
    request: Request,
    body: TransmissionRequest,
    container: ContainerDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Build, log and return a transmission; only what the policy allows leaves."""
    if not _authorised(container, authorization):
        return JSONResponse(
            {"error": "authentication required: Authorization: Bearer <token>"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        target = Target(
            contract=body.contract, sponsor=body.sponsor, start=body.start, end=body.end
        )
        sent = transmit(
            UnitOfWork(container.engine, write=True),
            policy=container.policy,
            clock=container.clock,
            target=target,
            recipient=body.recipient,
            fmt=body.format,
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

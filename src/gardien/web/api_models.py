"""What the JSON API accepts and answers: the models its OpenAPI schema is generated from.

The schema says exactly what the API accepts, and ``tests/e2e/test_openapi.py`` holds it to
that with schemathesis: a transmission names *either* one contract *or* a sponsor with a
period (``oneOf``, and no other property), dates are ``YYYY-MM-DD`` strings, every answer but
the payload is ``{"error": ...}``. A request the schema allows is never refused as malformed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, GetJsonSchemaHandler, RootModel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from gardien.errors import escape_controls

__all__ = [
    "ApiError",
    "ContractTransmission",
    "SponsorTransmission",
    "TransmissionDocument",
    "TransmissionRequest",
    "explain",
]

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _written_day(value: object) -> object:
    # The schema says "a string of format date": a number (a Unix time, to pydantic's lax mode)
    # or an instant is not one.
    if not isinstance(value, str) or _DAY.fullmatch(value) is None:
        raise ValueError('must be a date written "YYYY-MM-DD"')
    return value


Day = Annotated[date, BeforeValidator(_written_day)]
Reference = Annotated[str, Field(min_length=1, max_length=64)]


class _Transmission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipient: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            description="Who receives it, as the policy names recipients (e.g. funding_body).",
        ),
    ]
    format: Literal["json", "csv"] = "json"


class ContractTransmission(_Transmission):
    """One contract, by reference."""

    contract: Reference


class SponsorTransmission(_Transmission):
    """Every contract of a sponsor that runs at some point from ``from`` to ``until``.

    A period that ends before it starts holds no day, so no contract runs in it: the answer is
    403, as for any period in which none of the sponsor's contracts runs.
    """

    sponsor: Reference
    start: Day = Field(alias="from")
    end: Day = Field(alias="until")


class TransmissionRequest(RootModel[ContractTransmission | SponsorTransmission]):
    """Exactly one of: a contract, or a sponsor with a period."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # Pydantic writes a union as anyOf. The two shapes exclude each other (each requires
        # a property the other forbids), so oneOf says the same, and says it to the reader.
        generated = handler(schema)
        target = handler.resolve_ref_schema(generated)
        if "anyOf" in target:
            target["oneOf"] = target.pop("anyOf")
        return generated


class PolicyWords(BaseModel):
    """The policy's own summary of what may leave, in French and English."""

    model_config = ConfigDict(extra="forbid")

    fr: str
    en: str


class ApiError(BaseModel):
    """Every refusal: a sentence, and for a refusal by the policy, the policy's own words."""

    model_config = ConfigDict(extra="forbid")

    error: str
    policy: PolicyWords | None = None


class TransmittedContract(BaseModel):
    """What leaves about one contract: the fields the policy allows, one record per person."""

    model_config = ConfigDict(extra="forbid")

    reference: str
    funding_type: str
    legal_basis: str
    fields: list[str]
    records: list[dict[str, Any]]


class TransmissionDocument(BaseModel):
    """The JSON payload (``format: json``), byte for byte what the disclosure log hashed."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["gardien.transmission/1"]
    generated_at: str
    policy_version: str
    recipient: str
    controller: str
    contracts: list[TransmittedContract]


def _error(description: str, **extra: Any) -> dict[str, Any]:
    return {"model": ApiError, "description": description, **extra}


# The answers of POST /api/transmissions, for its OpenAPI description.
TRANSMISSION_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": TransmissionDocument,
        "description": "The payload: JSON, or CSV with one row per record.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "headers": {
            "X-Payload-SHA256": {
                "description": "SHA-256 of the body, as the disclosure log keeps it.",
                "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            },
            "X-Disclosure-Ids": {
                "description": "The disclosure-log entries written, comma-separated.",
                "schema": {"type": "string", "pattern": "^[0-9]+(,[0-9]+)*$"},
            },
        },
    },
    401: _error(
        "No token, or not the API's token (GARDIEN_API_TOKEN).",
        headers={"WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}},
    ),
    403: _error("The policy lets nothing of this go to this recipient; its words cited."),
    404: _error("No such contract or sponsor."),
    422: _error("A body that is not one of the two shapes above; the sentence says why."),
}

# Examples that the tests' sample data answer with a payload (tests/e2e/test_openapi.py).
TRANSMISSION_EXAMPLES: dict[str, dict[str, Any]] = {
    "contract": {
        "summary": "One contract",
        "value": {"contract": "C-CPF", "recipient": "funding_body"},
    },
    "sponsor": {
        "summary": "A sponsor's contracts over a period, as CSV",
        "value": {
            "sponsor": "SP-EMP",
            "from": "2025-01-01",
            "until": "2026-12-31",
            "recipient": "employer",
            "format": "csv",
        },
    },
}


_SHAPES = 'a contract, or a sponsor with "from" and "until"'
_PROBLEMS = {
    "missing": "is required",
    "extra_forbidden": "is not a property of this request",
    "literal_error": "must be json or csv",
    "string_type": "must be a string",
    "string_too_short": "must not be empty",
    "string_too_long": "must be at most 64 characters",
}


def explain(errors: Sequence[Any], body: Any) -> str:
    """One sentence for a body that fits neither shape, from FastAPI's validation errors.

    ``body`` is the parsed JSON (None when it is not JSON): which of the two shapes it meant
    is read from it, so the sentence is about that shape, not about both.
    """
    if body is None or any(error.get("type") == "json_invalid" for error in errors):
        return "the body must be a JSON object naming " + _SHAPES
    if not isinstance(body, dict):
        return "the body must be a JSON object naming " + _SHAPES
    if ("contract" in body) == ("sponsor" in body):
        both = ", not both" if "contract" in body else ""
        return f"name either a contract or a sponsor (with from and until){both}"
    meant = ContractTransmission if "contract" in body else SponsorTransmission
    mine = [e for e in errors if len(e.get("loc", ())) > 1 and e["loc"][1] == meant.__name__]
    error = (mine or list(errors))[0]
    where = ".".join(str(part) for part in error.get("loc", ())[2:]) or "body"
    problem = _PROBLEMS.get(error.get("type", ""))
    if problem is None:
        context = error.get("ctx") or {}
        problem = str(context.get("error") or error.get("msg", "is not valid"))
    return escape_controls(f"{where}: {problem}")

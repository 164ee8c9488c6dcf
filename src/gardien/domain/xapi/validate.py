"""Validation of xAPI statements as parsed from JSON (xAPI 1.0.3, Data part 2; 2.0 additions).

``validate_statement`` checks one statement and raises ``XapiValidationError(prop, problem)`` at
the first rule it breaks: ``prop`` is the dotted path of the culprit (``actor.mbox``,
``object.definition.name``, ``result.score.scaled``, ``[3].verb.id`` in a batch), ``problem`` a
short sentence that never repeats the value received (it may be personal data).
``validate_batch`` takes what a POST carries: one statement or a non-empty array of them.

It is written for speed (a few microseconds a statement, ``bench/validate_xapi.py``): every
object is checked by one loop over its own properties against a table of checks, so that an
unknown property, a null and a wrong type are caught on the way at no extra cost; the path of
the culprit is only built when something fails, as the error travels up (a ``try`` costs
nothing in CPython 3.11 until it catches). The string formats are in ``formats``, the
comparison of two statements in ``compare``; ``docs/xapi-validation.md`` says what is checked
and what is left to the store (whether a voided statement exists, whether it voids another).

Plain Python: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gardien.domain.xapi.checks import fail, kind_of, under
from gardien.domain.xapi.compare import statements_equivalent
from gardien.domain.xapi.formats import parse_timestamp
from gardien.domain.xapi.statement import VOIDED, statement
from gardien.errors import XapiValidationError

__all__ = [
    "VOIDED",
    "is_voiding",
    "parse_timestamp",
    "statements_equivalent",
    "validate_batch",
    "validate_statement",
]


def validate_statement(data: object, *, path: str = "") -> None:
    """Check one statement; raise ``XapiValidationError`` naming the first offending property.

    ``path`` prefixes every property named, for a statement inside a batch (``"[3]"`` gives
    ``"[3].verb.id"``). A statement that is not an object is named ``path`` or ``"statement"``.
    """
    try:
        if not isinstance(data, dict):
            fail("", f"a statement must be a JSON object, not {kind_of(data)}")
        statement(data, nested=False)
    except XapiValidationError as err:
        if path:
            raise under(path, err) from None
        if not err.prop:
            raise XapiValidationError("statement", err.problem) from None
        raise


def validate_batch(data: object) -> list[dict[str, Any]]:
    """The statements of a POST body (one statement or a non-empty array), each checked.

    A statement of an array is named by its index (``[3].verb.id``); two statements of one
    batch with the same id (in any case) are refused (Communication 2.1.2.s2.b6). The whole
    body is named ``statements`` when it is neither an object nor a non-empty array.
    """
    if isinstance(data, dict):
        validate_statement(data)
        return [data]
    if not isinstance(data, list):
        raise XapiValidationError(
            "statements", f"must be a statement or an array of statements, not {kind_of(data)}"
        )
    if not data:
        raise XapiValidationError("statements", "must not be an empty array")
    seen: dict[str, int] = {}
    for index, item in enumerate(data):
        where = f"[{index}]"
        validate_statement(item, path=where)
        statement_id = item.get("id")
        if statement_id is not None:
            first = seen.setdefault(statement_id.lower(), index)
            if first != index:
                raise XapiValidationError(
                    f"{where}.id",
                    f"repeats the id of statement [{first}]: ids must be unique in a batch",
                )
    return data


def is_voiding(data: Mapping[str, Any]) -> str | None:
    """The id (lower case) of the statement that ``data`` voids, or None if it voids nothing.

    ``data`` is a validated statement, so a voiding one has a StatementRef as object. Whether
    the target exists, and whether it is itself a voiding statement (which cannot be voided,
    Data 2.3.2), only the store can tell: both checks belong to it. A SubStatement voids
    nothing: it does not record an event.
    """
    verb = data.get("verb")
    if not isinstance(verb, dict) or verb.get("id") != VOIDED:
        return None
    target = data.get("object")
    if not isinstance(target, dict) or target.get("objectType") != "StatementRef":
        return None
    target_id = target.get("id")
    return target_id.lower() if isinstance(target_id, str) else None

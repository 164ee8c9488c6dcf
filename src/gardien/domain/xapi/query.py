"""What a request to the statements resource carries besides statements: its query parameters,
its ``agent`` filter, and the NUL character, refused wherever it is.

PostgreSQL cannot hold U+0000 in text or jsonb, SQLite can: refused at the door, a statement or
a query gets the same answer whatever the store. The parameters that name an IRI or a UUID are
checked for that form (xAPI Communication 2.1.3), so that nothing else reaches a lookup.

Plain Python: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

from gardien.domain.json_checks import NUL_ESCAPE, json_path, nul_path
from gardien.domain.xapi.agents import agent_or_group
from gardien.domain.xapi.checks import under
from gardien.domain.xapi.formats import is_iri, is_uuid
from gardien.errors import XapiValidationError

__all__ = ["NUL_PROBLEM", "check_agent_filter", "check_query", "refuse_nul"]

NUL_PROBLEM = "must not contain the NUL character (U+0000)"

_FORMS: dict[str, tuple[Callable[[str], object], str]] = {
    "verb": (is_iri, "must be an IRI"),
    "activity": (is_iri, "must be an IRI"),
    "registration": (is_uuid, "must be a UUID"),
    "statementId": (is_uuid, "must be a UUID"),
    "voidedStatementId": (is_uuid, "must be a UUID"),
}


def check_query(params: Iterable[tuple[str, str]]) -> None:
    """Refuse a query parameter holding NUL, or an IRI or UUID parameter of another form.

    ``params`` are the (name, value) pairs of the query string, repeated names included.
    Raises ``XapiValidationError`` naming the parameter (escaped, if its name is odd).
    """
    for name, value in params:
        if "\x00" in name or "\x00" in value:
            raise XapiValidationError(name, NUL_PROBLEM)
        form = _FORMS.get(name)
        if form is not None and not form[0](value):
            raise XapiValidationError(name, form[1])


def check_agent_filter(data: object) -> None:
    """Refuse an ``agent`` query parameter (parsed JSON) that is not an Agent or a Group."""
    try:
        agent_or_group(data)
        refuse_nul(data)
    except XapiValidationError as err:
        raise under("agent", err) from None


def refuse_nul(data: object) -> None:
    """Refuse U+0000 in any string or key of ``data`` (parsed JSON), naming where it is.

    In a batch the path starts with the statement's index (``[2].result.response``); a whole
    body that is a string holding it is named ``statements``.
    """
    found = nul_path(data)
    if found is not None:
        raise XapiValidationError(json_path(found) or "statements", NUL_PROBLEM)


def statements_json(raw: bytes, *, problem: str = "not valid JSON") -> Any:
    """The statements a request carries, parsed from ``raw`` (a body, or the first part of a
    multipart one): not JSON is refused as ``problem``, U+0000 anywhere too (PostgreSQL cannot
    store it, so SQLite refuses it as well)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise XapiValidationError("body", problem) from None
    if NUL_ESCAPE in raw:
        refuse_nul(data)
    return data

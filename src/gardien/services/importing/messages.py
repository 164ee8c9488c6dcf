"""Turn pydantic's validation errors into one sentence a person can act on.

``contracts[3] (reference "C-2024-017"): funding_type: 'paypal' is not one of online_payment,
cpf, opco, employer_plan, school_plan``: the record by section, index and natural key, then the
field, then the problem in plain words.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.dataclasses import is_pydantic_dataclass
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from gardien.services.importing.document import EARLIEST_DAY, LATEST_DAY, ImportDocument
from gardien.services.importing.keys import where

_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def json_kind(value: Any) -> str:
    """How JSON calls the type of ``value`` ("an array", "a string", ...)."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def shown(value: Any, limit: int = 60) -> str:
    """A short representation of a bad value, quoted as in Python; long ones are cut."""
    text = repr(value) if isinstance(value, str | int | float | bool) else json_kind(value)
    if value is None:
        text = "null"
    return text if len(text) <= limit else text[: limit - 1] + "…"


# What a field of each type must be, for a value of another JSON type (the reader is strict:
# true is not 1, 5 is not "5", "5" is not 5).
_EXPECTED = {
    "int_type": "a whole number",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "date_type": 'a date, written "YYYY-MM-DD"',
    "datetime_type": 'a date and time with its offset, written "2024-03-05T14:30:00Z"',
}
_BOUNDS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_OUT_OF_RANGE = (
    f"is out of range: dates and instants must fall in the years {EARLIEST_DAY.year}"
    f" to {LATEST_DAY.year} (instants in UTC)"
)


def _as_json(value: Any) -> str:
    """A scalar as the file spells it: true, not Python's True."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return shown(value)


def _choices(expected: str) -> str:
    # pydantic says "'a', 'b' or 'c'"; a list without quotes reads better in one line.
    return expected.replace("'", "").replace(" or ", ", ")


def _problem(error: ErrorDetails, allowed: Callable[[], Sequence[str]]) -> str:
    kind = error["type"]
    value = error.get("input")
    context = error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind in {"extra_forbidden", "unexpected_keyword_argument"}:
        names = allowed()
        return "unknown field" + (f" (expected one of: {', '.join(names)})" if names else "")
    if kind in {"enum", "literal_error"}:
        return f"{shown(value)} is not one of {_choices(str(context.get('expected', '')))}"
    if kind == "timezone_aware":
        return f"{shown(value)} has no time zone: add Z (UTC) or an offset such as +01:00"
    if kind == "email":
        return f"{shown(value)} is {error['msg']}"
    if kind == "string_pattern_mismatch":
        return f"{shown(value)} does not have the expected form ({context.get('pattern')})"
    if kind == "model_type" or kind == "dict_type":
        return f"must be an object, not {json_kind(value)}"
    if kind == "list_type":
        return f"must be an array, not {json_kind(value)}"
    if kind == "int_type" and isinstance(value, float):
        return f"must be a whole number, got {shown(value)}"
    if kind in _EXPECTED:
        given = f" ({_as_json(value)})" if not isinstance(value, dict | list) else ""
        return f"must be {_EXPECTED[kind]}, not {json_kind(value)}{given}"
    if kind in _BOUNDS and isinstance(value, str):
        # Only dates and instants have bounds and arrive as strings.
        return f"{shown(value)} {_OUT_OF_RANGE}"
    if kind == "value_error":
        return str(context.get("error") or error["msg"])
    message = error["msg"]
    message = message[0].lower() + message[1:]
    return f"{message}, got {shown(value)}"


def _field_path(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _fields(model: type[Any]) -> dict[str, FieldInfo]:
    if is_pydantic_dataclass(model):
        return dict(model.__pydantic_fields__)
    if issubclass(model, BaseModel):
        return dict(model.model_fields)
    return {}


def _model_at(loc: Sequence[int | str]) -> type[Any] | None:
    """The model (or pydantic dataclass) whose fields ``loc`` points into."""
    model: type[Any] | None = ImportDocument
    for part in loc:
        if isinstance(part, int):
            continue
        fields = _fields(model) if model is not None else {}
        if part not in fields:
            return None
        model = _inner_model(fields[part].annotation)
    return model


def _inner_model(annotation: Any) -> type[Any] | None:
    if isinstance(annotation, type) and (
        issubclass(annotation, BaseModel) or is_pydantic_dataclass(annotation)
    ):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType):
        for argument in typing.get_args(annotation):
            found = _inner_model(argument)
            if found is not None:
                return found
    return None


def describe_error(error: ErrorDetails, document: Any) -> str:
    """One error of a validation, located by record (read from the parsed ``document``)."""
    loc = list(error["loc"])

    def allowed() -> Sequence[str]:
        model = _model_at(loc[:-1])
        return list(_fields(model)) if model is not None else []

    problem = _problem(error, allowed)
    if not loc:
        if error["type"] == "model_type":
            kind = json_kind(error["input"])
            return f"the document must be a JSON object of sections, not {kind}"
        return problem
    section = loc[0]
    if len(loc) >= 2 and isinstance(section, str) and isinstance(loc[1], int):
        index = loc[1]
        record = _record(document, section, index)
        rest = loc[2:]
        place = where(section, index, record)
        return f"{place}: {_field_path(rest)}: {problem}" if rest else f"{place}: {problem}"
    if error["type"] in {"extra_forbidden", "unexpected_keyword_argument"} and len(loc) == 1:
        return f"{loc[0]}: unknown section (expected one of: {', '.join(allowed())})"
    return f"{_field_path(loc)}: {problem}"


def _record(document: Any, section: str, index: int) -> Any:
    try:
        record = document[section][index]
    except (KeyError, IndexError, TypeError):
        return None
    return record if isinstance(record, dict) else None

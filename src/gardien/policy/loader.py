"""Load a policy file: read the bytes, parse the YAML, validate its shape, then its references.

Whatever is wrong, the caller gets one :class:`~gardien.errors.PolicyError` whose message is a
single line: ``FILE:LINE: where: what`` (the first problem in the file, plus a count of the
others), so that an editor or a CI log can jump straight to it.
"""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from gardien.errors import PolicyError
from gardien.policy.catalogue import RecordCatalogue
from gardien.policy.model import FORMAT, MAX_MONTHS, Policy
from gardien.policy.source import MAX_CHARACTERS, SourceDocument, read_yaml
from gardien.policy.source import Path as KeyPath
from gardien.policy.validate import check_references, first_of

DEFAULT_POLICY_PATH = Path(__file__).with_name("default.yaml")


def load_policy(path: Path | None, *, catalogue: RecordCatalogue) -> Policy:
    """Load and fully validate the policy at ``path`` (the shipped default when None)."""
    path = path or DEFAULT_POLICY_PATH
    source = str(path)
    try:
        with path.open("rb") as stream:
            # Never more than the bound in memory: a policy is small, a huge file is refused.
            raw = stream.read(MAX_CHARACTERS + 1)
    except FileNotFoundError:
        raise PolicyError("no such policy file", source=source) from None
    except IsADirectoryError:
        raise PolicyError("is a directory, not a policy file", source=source) from None
    except OSError as exc:
        raise PolicyError(f"cannot read the policy file ({exc.strerror})", source=source) from None
    if len(raw) > MAX_CHARACTERS:
        raise PolicyError(
            f"the file is larger than {MAX_CHARACTERS:,} bytes: not a policy file", source=source
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(
            f"not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start});"
            " save the file as UTF-8",
            source=source,
            line=raw[: exc.start].count(b"\n") + 1,
        ) from None
    return parse_policy(text, source=source, catalogue=catalogue)


def parse_policy(text: str, *, source: str, catalogue: RecordCatalogue) -> Policy:
    """Validate a policy given as YAML text; ``source`` names it in error messages."""
    document = read_yaml(text.removeprefix("\ufeff"), source=source)
    if not isinstance(document.data, dict):
        raise document.error(
            (), "the policy must be a mapping of sections (format, controller, hosting, ...)"
        )
    try:
        policy = Policy.model_validate(document.data)
    except ValidationError as exc:
        raise _first_problem(exc, document) from None
    check_references(policy, document, catalogue)
    return policy


def _first_problem(exc: ValidationError, document: SourceDocument) -> PolicyError:
    errors = exc.errors(include_url=False)
    # A misspelt key also makes the right one "missing"; the misspelling is the news.
    misspelt_parents = {_path(e)[:-1] for e in errors if e["type"] == "extra_forbidden"}
    errors = [
        e for e in errors if not (e["type"] == "missing" and _path(e)[:-1] in misspelt_parents)
    ]
    problems = [document.error(_path(e), _describe(e)) for e in errors]
    return first_of(problems)


def _path(error: ErrorDetails) -> KeyPath:
    return tuple(part for part in error["loc"] if part != "[key]")


def _describe(error: ErrorDetails) -> str:
    kind = error["type"]
    loc = error["loc"]
    value: Any = error.get("input")
    last = loc[-1] if loc else None
    if kind == "missing":
        return "missing required key"
    if kind == "extra_forbidden":
        return _unknown_key(_path(error))
    if last == "months" and loc[0] == "retention":
        return (
            f"a duration must be a whole number of months between 0 and {MAX_MONTHS}"
            f" (got {value!r})"
        )
    if last == "updated_on":
        return str((error.get("ctx") or {}).get("error", "")) or f"not a day (got {value!r})"
    if last == "financial_year_end":
        # The domain's reason names the value already ("06-31 is not a day of the year").
        reason = str((error.get("ctx") or {}).get("error", ""))
        return reason or f'the last day of the financial year is written "MM-DD" (got {value!r})'
    if loc == ("format",):
        return f"unsupported policy format {value!r}: this gardien reads format {FORMAT}"
    if kind == "enum":
        expected = (error.get("ctx") or {}).get("expected", "")
        return f"{value!r} is not one of {expected}"
    if kind == "string_pattern_mismatch":
        pattern = str((error.get("ctx") or {}).get("pattern", ""))
        if "\\." in pattern:
            return f"{value!r} is not a field written record.field (e.g. learner.email)"
        if "A-Z" in pattern:
            return f"{value!r} is not a two-letter country code in capitals (e.g. FR)"
        return f"{value!r} is not a name of lowercase letters, digits and '_' (e.g. learner_data)"
    if kind == "too_short":
        return "must not be empty"
    if kind == "bool_type":
        return f"must be true or false (got {value!r})"
    if kind in {"dict_type", "model_type"}:
        return f"must be a mapping of keys to values (got {_shape(value)})"
    if kind == "list_type":
        return f"must be a list (got {_shape(value)})"
    return f"{error['msg'].rstrip('.')} (got {value!r})"


def _shape(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


def _unknown_key(path: KeyPath) -> str:
    key = str(path[-1])
    allowed = _allowed_keys(path[:-1])
    if not allowed:
        return f"unknown key {key!r}"
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {close[0]!r}?" if close else "allowed: " + ", ".join(allowed)
    return f"unknown key {key!r} ({hint})"


def _allowed_keys(path: KeyPath) -> list[str]:
    """The keys the model accepts at ``path``: walk the model's annotations down the path."""
    annotation: Any = Policy
    for part in path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif typing.get_origin(annotation) in {dict, list}:
            annotation = typing.get_args(annotation)[-1]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """``X`` from ``Annotated[X, ...]`` and from ``X | None``."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            annotation = members[0]
    return annotation

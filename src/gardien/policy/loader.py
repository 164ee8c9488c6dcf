"""Load a policy file: parse the YAML, validate its shape, then its cross-references."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from gardien.errors import PolicyError
from gardien.policy.catalogue import RecordCatalogue
from gardien.policy.model import Policy
from gardien.policy.source import SourceDocument, read_yaml
from gardien.policy.validate import check_references

DEFAULT_POLICY_PATH = Path(__file__).with_name("default.yaml")


def load_policy(path: Path | None, *, catalogue: RecordCatalogue) -> Policy:
    """Load and fully validate the policy at ``path`` (the shipped default when None)."""
    path = path or DEFAULT_POLICY_PATH
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PolicyError("no such policy file", source=source) from None
    except OSError as exc:
        raise PolicyError(f"cannot read the policy file ({exc.strerror})", source=source) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(
            f"not UTF-8 text (byte {exc.start})",
            source=source,
            line=raw[: exc.start].count(b"\n") + 1,
        ) from None
    return parse_policy(text, source=source, catalogue=catalogue)


def parse_policy(text: str, *, source: str, catalogue: RecordCatalogue) -> Policy:
    """Validate a policy given as YAML text; ``source`` names it in error messages."""
    document = read_yaml(text, source=source)
    if not isinstance(document.data, dict):
        raise document.error((), "the policy must be a mapping of sections (controller, ...)")
    try:
        policy = Policy.model_validate(document.data)
    except ValidationError as exc:
        raise _first_problem(exc, document) from None
    check_references(policy, document, catalogue)
    return policy


def _first_problem(exc: ValidationError, document: SourceDocument) -> PolicyError:
    # Errors come in document order of the model's fields; report the first, plus a count.
    errors = exc.errors(include_url=False)
    first = errors[0]
    path = tuple(part for part in first["loc"] if part != "[key]")
    problem = _describe(first)
    if len(errors) > 1:
        problem += f" (and {len(errors) - 1} more problem(s))"
    return document.error(path, problem)


def _describe(error: ErrorDetails) -> str:
    kind = error["type"]
    value: Any = error.get("input")
    if kind == "missing":
        return "missing required key"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind in {"greater_than_equal", "less_than_equal"} and error["loc"][-1] == "months":
        return f"a duration must be a whole number of months between 0 and 1200 (got {value!r})"
    if kind == "enum":
        expected = (error.get("ctx") or {}).get("expected", "")
        return f"{value!r} is not one of {expected}"
    return f"{error['msg'].rstrip('.')} (got {value!r})"

"""Read an import file: the JSON parsed and checked against :class:`ImportDocument` at once.

Every problem becomes one :class:`ImportDocumentError` naming the file and, for a record, its
section, index, natural key and field (see :mod:`gardien.services.importing.messages`).

The JSON is read strictly: a key named twice in one object, a NUL character in any string
(PostgreSQL cannot store it, SQLite can: refused here, the answer is the same on both) and a
value of the wrong JSON type (``true`` for a number, ``5`` for a string, ``"5"`` for a number)
are refused, whatever depth they are at.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from gardien.domain.json_checks import NUL_ESCAPE, json_path, nul_path, repeated_key_path
from gardien.domain.json_checks import Path as JsonPath
from gardien.errors import ImportDocumentError
from gardien.services.importing.document import ImportDocument
from gardien.services.importing.keys import where
from gardien.services.importing.messages import describe_error

_BOM = b"\xef\xbb\xbf"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector off the millions of objects an import builds.

    Each collection walks every live container, and building a large document triggers hundreds
    of them: that doubles the time to read a million statements. Nothing built here forms
    reference cycles, so reference counting frees it all; the collector's previous state is
    restored afterwards, so a long-running process (the web app) is left as it was.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_document(path: Path) -> ImportDocument:
    """Read and validate the JSON import document at ``path``.

    Raises :class:`ImportDocumentError` with one message naming the file and the first problem
    (and how many others there are) for a missing, empty, malformed or invalid file.
    """
    name = str(path)
    data = _read_bytes(path)
    if not data.strip():
        raise ImportDocumentError(f"{name}: the file is empty")
    data = data.removeprefix(_BOM)
    try:
        with gc_paused():
            _refuse_what_parsers_let_through(data)
            return ImportDocument.model_validate_json(data, strict=True).from_source(name)
    except ValidationError as exc:
        raise ImportDocumentError(f"{name}: {_explain(exc, data)}") from None
    except ImportDocumentError as exc:
        raise ImportDocumentError(f"{name}: {exc}") from None


def _refuse_what_parsers_let_through(data: bytes) -> None:
    """Refuse a key named twice in one object, and the NUL character anywhere.

    Malformed JSON passes here: the validation that follows names what is wrong with it.
    """
    repeated = repeated_key_path(data)
    if repeated is not None:
        parts, key = repeated
        problem = "appears twice in the same object (the first value would be lost)"
        raise ImportDocumentError(f"{_place(_parsed(data), (*parts, key))}: {problem}")
    if NUL_ESCAPE in data:
        document = _parsed(data)
        found = nul_path(document)
        if found is not None:
            problem = "holds the NUL character (\\u0000), which is not accepted in any text"
            raise ImportDocumentError(f"{_place(document, found)}: {problem}")


def _parsed(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


def _place(document: Any, parts: JsonPath) -> str:
    """``learners[3] (email "a@example.org"): given_name``, as other messages name a field."""
    if len(parts) >= 2 and isinstance(parts[0], str) and isinstance(parts[1], int):
        section, index, rest = parts[0], parts[1], parts[2:]
        record = None
        if isinstance(document, dict) and isinstance(document.get(section), list):
            records = document[section]
            record = records[index] if index < len(records) else None
        place = where(section, index, record if isinstance(record, dict) else None)
        return f"{place}: {json_path(rest)}" if rest else place
    return json_path(parts)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ImportDocumentError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImportDocumentError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise ImportDocumentError(f"{path}: cannot be read ({exc.strerror})") from None


def _explain(exc: ValidationError, data: bytes) -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    if first["type"] == "json_invalid":
        detail = (first.get("ctx") or {}).get("error", first["msg"])
        return f"malformed JSON: {detail}"
    # The JSON is well formed (pydantic parsed it): parse it again to name records by their keys.
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        document = None
    message = describe_error(first, document)
    others = len(errors) - 1
    if others:
        message += f" (and {others} more problem{'s' if others > 1 else ''})"
    return message

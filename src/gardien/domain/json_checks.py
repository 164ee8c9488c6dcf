"""What JSON parsers let through and gardien refuses: repeated keys and the NUL character.

JSON (RFC 8259) only says the keys of an object SHOULD be unique; parsers keep the last value,
so ``{"amount": 1, "amount": 2}`` silently loses a value. And ``"\\u0000"`` is valid JSON that
SQLite stores and PostgreSQL refuses (in text and in jsonb alike): refused up front, the answer
is the same on both databases. Both checks give the path of the culprit as parts, keys and
indices (``("learners", 0, "given_name")``), for the caller to name it its own way.

Plain Python, no recursion (a deep document cannot exhaust the stack here); no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = ["NUL_ESCAPE", "Path", "json_path", "nul_path", "repeated_key_path"]

Path = tuple[str | int, ...]

# How a NUL reaches a JSON text: escaped (a raw NUL byte is malformed JSON). Looking for these
# six bytes costs next to nothing; the tree is only walked when they are there (they may also
# be the text of an escaped backslash followed by "u0000", which the walk then clears).
NUL_ESCAPE = b"\\u0000"


def json_path(parts: Sequence[str | int]) -> str:
    """``learners[0].given_name``: keys joined by dots, indices in brackets ("" for the root)."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def nul_path(value: Any) -> Path | None:
    """The path of the first string (value or key) holding U+0000 in ``value``, else None.

    ``value`` is parsed JSON: dicts, lists, strings, numbers, booleans and None. A key that
    holds the character is named by its own path.
    """
    stack: list[tuple[Path, Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path
        elif isinstance(item, dict):
            for key in item:
                if "\x00" in key:
                    return (*path, key)
            _push_children(stack, path, item)
        else:
            _push_children(stack, path, item)
    return None


def _push_children(stack: list[tuple[Path, Any]], path: Path, item: Any) -> None:
    """Put the members of an object or array on ``stack``, the first one to be popped first."""
    if isinstance(item, dict):
        stack.extend(((*path, key), child) for key, child in reversed(item.items()))
    elif isinstance(item, list):
        stack.extend(((*path, index), item[index]) for index in range(len(item) - 1, -1, -1))


class _Repeated(Exception):
    pass


def _refuse_repeats(pairs: list[tuple[str, Any]]) -> None:
    # Called by the C scanner for every object: a dict built and dropped at C speed. Nothing
    # is kept (None stands for every object), so the pass costs little memory.
    if len(pairs) > 1 and len(dict(pairs)) != len(pairs):
        raise _Repeated


class _Marked(dict[str, Any]):
    """An object of the second pass that repeats ``repeated``."""

    repeated: str


def _mark_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    built = dict(pairs)
    if len(built) == len(pairs):
        return built
    marked = _Marked(built)
    seen: set[str] = set()
    for key, _value in pairs:
        if key in seen:
            marked.repeated = key
            break
        seen.add(key)
    return marked


def repeated_key_path(text: bytes | str) -> tuple[Path, str] | None:
    """Where the JSON ``text`` first names a key twice in one object: its path and the key.

    None when every object names each key once, and also when ``text`` is not JSON the
    standard library can read (malformed, nested past the recursion limit, a number with
    thousands of digits): the caller's own parser then says what is wrong with it.
    """
    try:
        json.loads(text, object_pairs_hook=_refuse_repeats)
        return None
    except _Repeated:
        pass
    except (ValueError, RecursionError):
        return None
    # Rare: parse again, keeping the objects this time, to find the first one in document order.
    # The first pass stopped at the repeat; what follows it may still be malformed.
    try:
        root = json.loads(text, object_pairs_hook=_mark_repeats)
    except (ValueError, RecursionError):
        return None
    stack: list[tuple[Path, Any]] = [((), root)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, _Marked):
            return path, item.repeated
        _push_children(stack, path, item)
    return None

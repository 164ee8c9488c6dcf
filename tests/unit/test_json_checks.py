"""What JSON parsers let through: repeated keys and NUL characters, found and named by path."""

from __future__ import annotations

import json

import pytest

from gardien.domain.json_checks import NUL_ESCAPE, json_path, nul_path, repeated_key_path


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('{"a": 1, "b": 2}', None),
        ('{"a": 1, "a": 1}', ((), "a")),
        ('[{"x": {"k": 1}}, {"x": {"k": 1, "y": 2, "k": 3}}]', ((1, "x"), "k")),
        ('{"outer": {"in": 1, "in": 2}, "outer": 3}', ((), "outer")),  # the first in document order
        ('{"a": 1, "a": 2', None),  # malformed: the caller's parser says so
        ("[" * 100_000 + "]" * 100_000, None),  # past the recursion limit: likewise
    ],
)
def test_repeated_keys_are_found_with_their_path(
    text: str, found: tuple[tuple[str | int, ...], str] | None
) -> None:
    assert repeated_key_path(text) == found
    assert repeated_key_path(text.encode()) == found


def test_a_repeat_after_a_malformed_part_is_left_to_the_parser() -> None:
    assert repeated_key_path('{"a": 1, "a": 2, "b": }') is None


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"a": ["ok", {"b": "also ok"}]}, None),
        ({"a": ["ok", {"b": "n\x00"}]}, ("a", 1, "b")),
        ({"first": "\x00", "second": "\x00"}, ("first",)),
        ({"k\x00": 1}, ("k\x00",)),
        ("\x00", ()),
        ([1, 2.5, True, None], None),
    ],
)
def test_nul_is_found_in_values_and_keys(value: object, path: tuple[str | int, ...] | None) -> None:
    assert nul_path(value) == path
    if path is not None:
        assert NUL_ESCAPE in json.dumps(value).encode()


def test_deep_documents_do_not_exhaust_the_stack() -> None:
    deep: object = "\x00"
    for _ in range(5_000):  # far past the recursion limit
        deep = [deep]
    assert nul_path(deep) == (0,) * 5_000


def test_json_paths_read_as_in_messages() -> None:
    assert json_path(("learners", 0, "given_name")) == "learners[0].given_name"
    assert json_path((3, "verb", "id")) == "[3].verb.id"
    assert json_path(()) == ""

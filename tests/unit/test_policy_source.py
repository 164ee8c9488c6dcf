"""Reading YAML while remembering the line of every key and item."""

from __future__ import annotations

import pytest

from gardien.errors import PolicyError
from gardien.policy.source import read_yaml

TEXT = """\
# a comment
first: 1
second:
  nested: [a, b]
  items:
    - x
    - y: 2
"""


def test_lines_of_keys_and_items() -> None:
    document = read_yaml(TEXT, source="t.yaml")
    assert document.data == {"first": 1, "second": {"nested": ["a", "b"], "items": ["x", {"y": 2}]}}
    assert document.line_of(("first",)) == 2
    assert document.line_of(("second",)) == 3
    assert document.line_of(("second", "nested")) == 4
    assert document.line_of(("second", "nested", 1)) == 4
    assert document.line_of(("second", "items", 0)) == 6
    assert document.line_of(("second", "items", 1, "y")) == 7


def test_an_unknown_path_falls_back_to_its_nearest_ancestor() -> None:
    document = read_yaml(TEXT, source="t.yaml")
    assert document.line_of(("second", "missing", "deeper")) == 3
    assert document.line_of(("nowhere",)) == 2  # the document itself starts on line 2


def test_error_names_the_source_the_line_and_the_path() -> None:
    document = read_yaml(TEXT, source="t.yaml")
    error = document.error(("second", "nested", 0), "wrong")
    assert str(error) == "t.yaml:4: second.nested.0: wrong"
    assert error.line == 4


def test_keys_must_be_words() -> None:
    with pytest.raises(PolicyError, match=r"keys must be plain words, not True") as caught:
        read_yaml("a: 1\nyes: 2\n", source="t.yaml")
    assert caught.value.line == 2


def test_complex_keys_are_refused() -> None:
    with pytest.raises(PolicyError, match="a key must be a plain word") as caught:
        read_yaml("a: 1\n? [x, y]\n: 2\n", source="t.yaml")
    assert caught.value.line == 2

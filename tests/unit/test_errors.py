"""Every error message that quotes input stays on one line: control characters are escaped."""

from __future__ import annotations

import pytest

from gardien.errors import (
    ClassificationError,
    DisclosureRefusedError,
    GardienError,
    ImportDocumentError,
    InvalidInputError,
    PolicyError,
    XapiValidationError,
    escape_controls,
)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        (
            "plain text, accents é à ç, 日本語, emoji 🙂",
            "plain text, accents é à ç, 日本語, emoji 🙂",
        ),
        ("a\r\nb", "a\\r\\nb"),
        ("tab\there", "tab\\there"),
        ("nul\x00 esc\x1b[31m del\x7f", "nul\\x00 esc\\x1b[31m del\\x7f"),
        ("c1\x85 \x9b", "c1\\x85 \\x9b"),
        ("line\u2028para\u2029", "line\\u2028para\\u2029"),
        (
            "bidi \u202eevil\u202c \u2066x\u2069 \u200f",
            "bidi \\u202eevil\\u202c \\u2066x\\u2069 \\u200f",
        ),
        ("undecodable \udcff byte", "undecodable \\udcff byte"),
    ],
)
def test_control_characters_are_written_as_escapes(text: str, escaped: str) -> None:
    assert escape_controls(text) == escaped
    assert escape_controls(escaped) == escaped, "escaping twice changes nothing more"
    assert escaped.isprintable()


def test_every_error_prints_on_one_line() -> None:
    forged = "a@example.org\r\nERROR something else\x1b[2J"
    for error in (
        GardienError(f"no account {forged}"),
        ImportDocumentError(f'data.json: learners[0] (email "{forged}"): email: not valid'),
        InvalidInputError("not valid", field=forged),
        PolicyError(f"unknown key {forged}", source="policy\n.yaml", line=3),
    ):
        message = str(error)
        assert "\n" not in message and "\r" not in message and "\x1b" not in message
        assert "\\r\\nERROR something else\\x1b[2J" in message


def test_the_attributes_the_web_shows_are_escaped() -> None:
    refused = XapiValidationError("context.extensions.https://example.org/k\r\n", "bad\x00")
    assert (refused.prop, refused.problem) == (
        "context.extensions.https://example.org/k\\r\\n",
        "bad\\x00",
    )
    assert InvalidInputError("no\nway", field="e\rmail").problem == "no\\nway"
    assert DisclosureRefusedError("no recipient 'x\ny'").problem == "no recipient 'x\\ny'"


def test_a_classification_error_keeps_one_line_per_culprit() -> None:
    error = ClassificationError(["learner.email", "odd\ncolumn"])
    assert str(error) == "policy check failed:\n  - learner.email\n  - odd\\ncolumn"

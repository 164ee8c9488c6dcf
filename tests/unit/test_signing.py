"""Signed tokens: a token reads back only as it was signed, in one spelling."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gardien.errors import InvalidLinkError
from gardien.services.signing import sign, unsign

SECRET = "test-secret"
BASE64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


@given(
    st.lists(
        st.one_of(st.integers(-(2**63), 2**63 - 1), st.text(max_size=20)), min_size=1, max_size=4
    )
)
def test_a_token_reads_back_its_payload(payload: list[object]) -> None:
    assert unsign(SECRET, "p", sign(SECRET, "p", payload)) == payload


def test_another_spelling_of_a_genuine_token_is_refused() -> None:
    # The MAC (32 bytes) is 43 base64 characters, the last carrying 2 spare bits: a decoder
    # reads the same bytes from four characters there, and with padding added.
    token = sign(SECRET, "p", [1, "erasure"])
    last = BASE64URL.index(token[-1])
    respelt = [token[:-1] + BASE64URL[last ^ spare] for spare in (1, 2, 3)]
    for variant in (*respelt, token + "=", token + "=="):
        with pytest.raises(InvalidLinkError):
            unsign(SECRET, "p", variant)


def test_a_token_serves_its_purpose_only() -> None:
    with pytest.raises(InvalidLinkError):
        unsign(SECRET, "other", sign(SECRET, "p", [1]))

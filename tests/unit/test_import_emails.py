"""The fast path for e-mail addresses agrees with email-validator."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from gardien.services.importing.emails import _plainly_valid, normalise_email

GOOD = [
    "alix.exemple@example.org",
    "Alix.Exemple@Example.ORG",
    "a+tag@sub.example.com",
    "o'brien@example.net",
    "x@xn--bcher-kva.example",
    "jo@my-site.example",
    "é@example.org",
]
BAD = [
    "alix",
    "a@b",
    "a@@example.org",
    "a..b@example.org",
    ".a@example.org",
    "a@b.test",
    "jo@my--site.example",
]


@pytest.mark.parametrize("address", GOOD)
def test_valid_addresses_are_lower_cased(address: str) -> None:
    expected = validate_email(address, check_deliverability=False).normalized.lower()
    assert normalise_email(address) == expected


@pytest.mark.parametrize("address", BAD)
def test_invalid_addresses_carry_the_reason(address: str) -> None:
    with pytest.raises(EmailNotValidError):
        validate_email(address, check_deliverability=False)
    with pytest.raises(PydanticCustomError) as caught:
        normalise_email(address)
    assert caught.value.type == "email"
    assert str(caught.value).startswith("not a valid e-mail address: ")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab1.-_+'@xnt", min_size=3, max_size=24))
def test_the_fast_path_accepts_nothing_email_validator_refuses(address: str) -> None:
    if _plainly_valid(address):
        validate_email(address, check_deliverability=False)

"""Signed newsletter links: genuine ones read back; forged, edited, expired or misused ones fail."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gardien.errors import ExpiredLinkError, GardienError, InvalidLinkError
from gardien.services.signing import address_digest
from gardien.services.website.tokens import Purpose, make_token, read_token

SECRET = "test-secret"
DAY = date(2026, 3, 1)


def token(purpose: Purpose = Purpose.CONFIRM, **overrides: object) -> str:
    values: dict[str, object] = {
        "subscription_id": 7,
        "email": "ana@example.org",
        "valid_until": date(2026, 4, 1),
    }
    values.update(overrides)
    return make_token(SECRET, purpose, **values)  # type: ignore[arg-type]


def test_a_genuine_token_reads_back_its_subscription_and_address() -> None:
    claims = read_token(SECRET, Purpose.CONFIRM, token(), today=DAY)
    assert claims.subscription_id == 7
    assert claims.address_digest == address_digest("ANA@example.org ")
    assert "ana" not in token()  # no address travels in a URL


def test_a_token_is_valid_on_its_last_day_and_expired_the_day_after() -> None:
    read_token(SECRET, Purpose.CONFIRM, token(), today=date(2026, 4, 1))
    with pytest.raises(ExpiredLinkError):
        read_token(SECRET, Purpose.CONFIRM, token(), today=date(2026, 4, 2))


def test_an_unsubscribe_token_never_expires() -> None:
    genuine = token(Purpose.UNSUBSCRIBE, valid_until=None)
    assert read_token(SECRET, Purpose.UNSUBSCRIBE, genuine, today=date(2099, 1, 1))


def test_a_token_serves_only_its_own_purpose() -> None:
    with pytest.raises(InvalidLinkError):
        read_token(SECRET, Purpose.UNSUBSCRIBE, token(Purpose.CONFIRM), today=DAY)


def test_another_secret_signs_other_tokens() -> None:
    forged = make_token("not-the-secret", Purpose.CONFIRM, subscription_id=7, email="a@example.org")
    with pytest.raises(InvalidLinkError):
        read_token(SECRET, Purpose.CONFIRM, forged, today=DAY)


def test_editing_the_payload_breaks_the_signature() -> None:
    genuine = token(subscription_id=7)
    other = token(subscription_id=8)
    spliced = other.split(".")[0] + "." + genuine.split(".")[1]
    with pytest.raises(InvalidLinkError):
        read_token(SECRET, Purpose.CONFIRM, spliced, today=DAY)


@example("\x80.:")  # found by hypothesis: a non-ASCII payload once escaped as UnicodeEncodeError
@given(st.text(max_size=600))
def test_any_other_text_is_refused_with_the_projects_error(text: str) -> None:
    with pytest.raises(InvalidLinkError) as caught:
        read_token(SECRET, Purpose.CONFIRM, text, today=DAY)
    assert isinstance(caught.value, GardienError)


@given(position=st.integers(min_value=0), replacement=st.sampled_from("AZaz09-_."))
def test_changing_any_one_character_is_refused(position: int, replacement: str) -> None:
    genuine = token()
    index = position % len(genuine)
    if genuine[index] == replacement:
        return
    altered = genuine[:index] + replacement + genuine[index + 1 :]
    with pytest.raises(InvalidLinkError):
        read_token(SECRET, Purpose.CONFIRM, altered, today=DAY)

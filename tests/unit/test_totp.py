"""TOTP by hand: RFC 6238's own test vectors, the drift window, replay and wrong codes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from gardien.domain.totp import (
    generate_secret_b32,
    provisioning_uri,
    time_step,
    totp,
    verify_totp,
)

pytestmark = pytest.mark.unit

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode("ascii")
SECRET = generate_secret_b32(bytes(range(20)))
NOW = datetime(2026, 3, 1, 9, 30, 15, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc_6238_appendix_b_sha1_vectors(seconds: int, expected: str) -> None:
    assert totp(RFC_SECRET, at(seconds), digits=8) == expected


def test_six_digit_codes_are_the_last_six_of_the_truncation() -> None:
    assert totp(RFC_SECRET, at(59)) == "287082"


def test_the_instant_may_be_in_any_time_zone() -> None:
    paris = timezone(timedelta(hours=1))
    assert totp(SECRET, NOW.astimezone(paris)) == totp(SECRET, NOW)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        totp(SECRET, datetime(2026, 3, 1, 9, 30))
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_totp(SECRET, "123456", datetime(2026, 3, 1, 9, 30), last_step=None)


def test_a_secret_is_base32_without_padding_and_needs_enough_bytes() -> None:
    secret = generate_secret_b32(b"\xff" * 20)
    assert secret == "7" * 32
    assert base64.b32decode(secret) == b"\xff" * 20
    with pytest.raises(ValueError, match="16"):
        generate_secret_b32(b"\x00" * 15)


def test_the_current_code_is_accepted_and_yields_its_step() -> None:
    code = totp(SECRET, NOW)
    assert verify_totp(SECRET, code, NOW, last_step=None) == time_step(NOW)


@pytest.mark.parametrize("drift", [-1, 1])
def test_a_code_one_step_away_is_accepted(drift: int) -> None:
    code = totp(SECRET, NOW + timedelta(seconds=30 * drift))
    assert verify_totp(SECRET, code, NOW, last_step=None) == time_step(NOW) + drift


@pytest.mark.parametrize("drift", [-2, 2])
def test_a_code_two_steps_away_is_refused(drift: int) -> None:
    code = totp(SECRET, NOW + timedelta(seconds=30 * drift))
    assert verify_totp(SECRET, code, NOW, last_step=None) is None
    assert verify_totp(SECRET, code, NOW, last_step=None, window=2) == time_step(NOW) + drift


def test_a_code_is_not_accepted_twice() -> None:
    code = totp(SECRET, NOW)
    step = verify_totp(SECRET, code, NOW, last_step=None)
    assert step is not None
    assert verify_totp(SECRET, code, NOW, last_step=step) is None
    # Ten seconds later the same code is still current, and still refused.
    assert verify_totp(SECRET, code, NOW + timedelta(seconds=10), last_step=step) is None


def test_an_older_code_is_refused_after_a_newer_one() -> None:
    newer = time_step(NOW)
    previous = totp(SECRET, NOW - timedelta(seconds=30))
    assert verify_totp(SECRET, previous, NOW, last_step=newer) is None


def test_the_next_code_is_accepted_after_the_last_step() -> None:
    later = NOW + timedelta(seconds=30)
    step = verify_totp(SECRET, totp(SECRET, later), later, last_step=time_step(NOW))
    assert step == time_step(NOW) + 1


@pytest.mark.parametrize("code", ["000000", "12345", "1234567", "abcdef", "", "٣٣٣٣٣٣"])
def test_a_wrong_code_is_refused(code: str) -> None:
    assert verify_totp(SECRET, code, NOW, last_step=None) is None


def test_a_code_for_another_secret_is_refused() -> None:
    other = generate_secret_b32(bytes(range(1, 21)))
    assert verify_totp(SECRET, totp(other, NOW), NOW, last_step=None) is None


def test_spaces_in_the_code_are_ignored() -> None:
    code = totp(SECRET, NOW)
    typed = f" {code[:3]} {code[3:]} "
    assert verify_totp(SECRET, typed, NOW, last_step=None) == time_step(NOW)


def test_a_secret_in_lower_case_groups_is_read() -> None:
    grouped = " ".join(SECRET[i : i + 4] for i in range(0, len(SECRET), 4)).lower()
    assert totp(grouped, NOW) == totp(SECRET, NOW)


def test_a_secret_that_is_not_base32_is_refused() -> None:
    with pytest.raises(ValueError, match="base32"):
        totp("not base32!", NOW)


def test_the_provisioning_uri_is_percent_encoded() -> None:
    uri = provisioning_uri(SECRET, account="camille.exemple@example.org", issuer="Centre Démo")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parts.path == "/Centre%20D%C3%A9mo:camille.exemple@example.org"
    assert parse_qs(parts.query) == {
        "secret": [SECRET],
        "issuer": ["Centre Démo"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }
    assert "+" not in parts.query  # spaces are %20, which every authenticator app reads


def test_a_colon_in_the_label_is_refused() -> None:
    with pytest.raises(ValueError, match="colon"):
        provisioning_uri(SECRET, account="someone@example.org", issuer="a:b")

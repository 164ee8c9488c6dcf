"""Recovery codes and the grouped key: the shape a person reads, the forms they may type."""

from __future__ import annotations

import re

import pytest

from gardien.domain.recovery_codes import normalise_recovery_code, recovery_code
from gardien.domain.totp import grouped

pytestmark = pytest.mark.unit


def test_a_code_is_two_groups_of_five_from_an_alphabet_without_look_alikes() -> None:
    code = recovery_code(bytes(range(1, 9)))
    assert re.fullmatch(r"[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}", code)
    assert recovery_code(bytes(range(1, 9))) == code  # the bytes decide
    assert recovery_code(bytes(range(2, 10))) != code


def test_too_few_random_bytes_are_refused() -> None:
    with pytest.raises(ValueError, match="50 random bits"):
        recovery_code(b"123456")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("k7m2p-x9c4d", "k7m2px9c4d"),
        ("K7M2P X9C4D", "k7m2px9c4d"),
        (" k7m2px9c4d ", "k7m2px9c4d"),
        ("ko1lp-x9c4d", "k011px9c4d"),  # o read as 0, l and i as 1
        ("k7m2p-x9c4", None),
        ("k7m2p-x9c4du", None),  # u is not in the alphabet
        ("", None),
    ],
)
def test_typed_codes_are_read_generously(typed: str, expected: str | None) -> None:
    assert normalise_recovery_code(typed) == expected


def test_the_key_is_shown_in_groups_of_four() -> None:
    assert grouped("jbswy3dpehpk3pxp") == "JBSW Y3DP EHPK 3PXP"
    assert grouped("JBSWY3DPEHPK3PXPAB") == "JBSW Y3DP EHPK 3PXP AB"

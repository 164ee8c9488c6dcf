"""The password policy (ASVS V2.1), Argon2id storage (V2.4) and the bundled breached list."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from gardien.errors import PasswordRejectedError
from gardien.services.accounts.breached import LocalBreachedList, breached_passwords, sha1_hex
from gardien.services.accounts.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    PasswordHasher,
    check_new_password,
)

pytestmark = pytest.mark.unit

LOCAL = LocalBreachedList()
GOOD = "Cheval agrafe batterie correcte"


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher()


def reason_for(password: str, *, email: str | None = None) -> str | None:
    try:
        check_new_password(password, email=email, breached=LOCAL)
    except PasswordRejectedError as error:
        if password:
            assert password not in str(error), "the message must never repeat the password"
        assert error.field == "password"
        return error.reason
    return None


def test_the_limits_are_asvs_level_2() -> None:
    assert (MIN_LENGTH, MAX_LENGTH) == (12, 128)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Tz8#pLq2wVn", "too_short"),  # 11
        ("Tz8#pLq2wVnR", None),  # 12
        ("Tz8#pLq2wVnR" * 10 + "Tz8#pLq2", None),  # 128
        ("Tz8#pLq2wVnR" * 10 + "Tz8#pLq2w", "too_long"),  # 129
        ("            ", None),  # 12 spaces: no composition rules
        ("", "too_short"),
    ],
)
def test_length_boundaries(password: str, reason: str | None) -> None:
    assert reason_for(password) == reason


def test_unicode_counts_code_points_after_nfkc() -> None:
    decomposed = "e\u0301"  # "é" as two code points; NFKC makes it one
    assert reason_for(decomposed * 11) == "too_short"
    assert reason_for(decomposed * 12) is None
    assert reason_for("ﬁ" * 6) is None  # the ligature becomes "fi": 12 characters
    assert reason_for("🔒" * 11) == "too_short"  # one code point each, four bytes in UTF-8
    assert reason_for("🔒" * 12) is None
    assert reason_for("密码很长但是不够长的密码") is None  # 12 ideographs


@pytest.mark.parametrize(
    "password",
    ["123456789012", "azertyuiopqs", "motdepasse123", "iloveyou1234", "passwordpassword"],
)
def test_breached_passwords_are_refused(password: str) -> None:
    assert reason_for(password) == "breached"


def test_the_breach_check_is_case_sensitive_like_hibp() -> None:
    assert LOCAL.is_breached("azertyazerty")
    assert not LOCAL.is_breached("AzErTyAzErTy")
    assert reason_for("AzErTyAzErTy") is None


def test_short_breached_passwords_are_in_the_list_too() -> None:
    for password in ["123456", "password", "azerty", "motdepasse", "soleil", "doudou"]:
        assert LOCAL.is_breached(password)


def test_a_good_password_is_accepted_and_not_breached() -> None:
    assert not LOCAL.is_breached(GOOD)
    assert reason_for(GOOD, email="camille.exemple@example.org") is None


@pytest.mark.parametrize(
    "password",
    ["my camille.exemple pass", "CAMILLE.EXEMPLE-2026!", "xx Camille.Exemple xx"],
)
def test_the_email_local_part_is_refused(password: str) -> None:
    assert reason_for(password, email="camille.exemple@example.org") == "contains_email"


def test_a_short_local_part_is_not_looked_for() -> None:
    assert reason_for("bob the builder 77", email="bob@example.org") is None
    assert reason_for("bobo the builder 77", email="bobo@example.org") == "contains_email"


def test_length_is_checked_before_the_email() -> None:
    assert reason_for("camille", email="camille@example.org") == "too_short"


def test_hash_and_verify_roundtrip(hasher: PasswordHasher) -> None:
    stored = hasher.hash(GOOD)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.verify(stored, GOOD)
    assert not hasher.verify(stored, GOOD + " ")
    assert not hasher.verify(stored, GOOD.upper())
    assert hasher.hash(GOOD) != stored  # a fresh salt each time
    assert not hasher.needs_rehash(stored)


def test_verify_normalises_like_hash(hasher: PasswordHasher) -> None:
    stored = hasher.hash("Cafe\u0301 au lait le matin")
    assert hasher.verify(stored, "Café au lait le matin")


@pytest.mark.parametrize("garbage", ["", "not a hash", "$argon2id$v=19$m=19456,t=2,p=1$xx$yy"])
def test_a_garbage_hash_verifies_false(hasher: PasswordHasher, garbage: str) -> None:
    assert hasher.verify(garbage, GOOD) is False
    assert hasher.needs_rehash(garbage)


def test_a_hash_with_other_parameters_needs_rehash(hasher: PasswordHasher) -> None:
    weaker = PasswordHasher(memory_cost=8192, time_cost=1)
    stored = weaker.hash(GOOD)
    assert stored.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    assert hasher.verify(stored, GOOD)  # still readable...
    assert hasher.needs_rehash(stored)  # ...and upgraded at the next sign-in


def test_verifications_are_counted_for_real_and_dummy_checks() -> None:
    hasher = PasswordHasher()
    stored = hasher.hash(GOOD)
    assert hasher.verifications == 0
    hasher.verify(stored, "wrong password here")
    assert hasher.verifications == 1
    hasher.verify_dummy(GOOD)
    assert hasher.verifications == 2


def test_the_bundled_file_has_enough_well_formed_unique_digests() -> None:
    text = (
        resources.files("gardien.services.accounts")
        .joinpath("breached-passwords.txt")
        .read_text(encoding="utf-8")
    )
    lines = text.splitlines()
    header = [line for line in lines if line.startswith("#")]
    digests = [line for line in lines if not line.startswith("#")]
    assert header and lines[: len(header)] == header, "comments only at the top"
    assert "SHA-1" in header[0]
    assert all(re.fullmatch(r"[0-9A-F]{40}", digest) for digest in digests)
    assert len(set(digests)) == len(digests) >= 300


def test_digests_are_sha1_of_the_nfkc_password() -> None:
    assert sha1_hex("password") == "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"
    assert sha1_hex("ﬁ") == sha1_hex("fi")


def test_without_a_range_url_the_local_list_is_used() -> None:
    assert isinstance(breached_passwords(None), LocalBreachedList)

"""Sealed secrets (AES-256-GCM): readable with the key and purpose they were sealed for only."""

from __future__ import annotations

import pytest

from gardien.errors import AuthenticationError
from gardien.services.accounts.sealing import seal, unseal

pytestmark = pytest.mark.unit

KEY, SECRET = "a key for this test only", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_a_sealed_value_opens_with_its_key_and_purpose() -> None:
    sealed = seal(KEY, "totp-secret", SECRET)
    assert SECRET not in sealed and sealed.startswith("v1.")
    assert unseal(KEY, "totp-secret", sealed) == SECRET
    assert seal(KEY, "totp-secret", SECRET) != sealed  # a fresh nonce every time
    assert len(sealed) <= 200  # fits the column


@pytest.mark.parametrize(
    ("key", "purpose", "change"),
    [
        ("another key", "totp-secret", False),
        (KEY, "another-purpose", False),
        (KEY, "totp-secret", True),
    ],
)
def test_another_key_purpose_or_a_changed_value_does_not_open(
    key: str, purpose: str, change: bool
) -> None:
    sealed = seal(KEY, "totp-secret", SECRET)
    if change:
        middle = len(sealed) // 2
        sealed = sealed[:middle] + ("A" if sealed[middle] != "A" else "B") + sealed[middle + 1 :]
    with pytest.raises(AuthenticationError):
        unseal(key, purpose, sealed)


def test_a_clear_value_is_refused() -> None:
    with pytest.raises(AuthenticationError, match="unknown format"):
        unseal(KEY, "totp-secret", SECRET)

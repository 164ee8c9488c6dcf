"""One-time recovery codes: what a DPO or admin types instead of a TOTP code when their
authenticator is lost.

Ten codes are made at once; each is ten characters of an alphabet without look-alikes
(no 0/O, 1/I/L, U), shown as two groups of five ("k7m2p-x9c4d"): 50 random bits each, which
a keyed digest protects well enough against a stolen database (the key is not in it) and the
sign-in rate limit protects against guessing. The domain does no I/O: the caller brings the
random bytes.
"""

from __future__ import annotations

COUNT = 10
LENGTH = 10
# Crockford's base32, lower case: digits and letters a person cannot mistake for each other.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_BITS = 5
_READ_AS = {"o": "0", "i": "1", "l": "1"}


def recovery_code(random_bytes: bytes) -> str:
    """A code of :data:`LENGTH` characters made of ``random_bytes`` (at least 7 bytes), as
    shown to a person: two groups of five joined by a hyphen."""
    if len(random_bytes) * 8 < LENGTH * _BITS:
        raise ValueError(f"a recovery code needs at least {LENGTH * _BITS} random bits")
    number = int.from_bytes(random_bytes, "big")
    characters = []
    for _ in range(LENGTH):
        characters.append(ALPHABET[number & 0x1F])
        number >>= _BITS
    plain = "".join(characters)
    return f"{plain[:5]}-{plain[5:]}"


def normalise_recovery_code(typed: str) -> str | None:
    """The code's :data:`LENGTH` characters as typed in any case, with spaces or hyphens and
    with look-alikes read as the character they resemble; None when it cannot be a code."""
    cleaned = "".join(typed.split()).replace("-", "").lower()
    cleaned = "".join(_READ_AS.get(character, character) for character in cleaned)
    if len(cleaned) != LENGTH or any(character not in ALPHABET for character in cleaned):
        return None
    return cleaned

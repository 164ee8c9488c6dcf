"""Password policy and storage: OWASP ASVS 4.0.3 level 2, sections V2.1 and V2.4.

Length is the rule (12 to 128 characters, counted after NFKC normalisation as NIST SP 800-63B
asks), with no composition rules, no truncation, spaces and any Unicode allowed; breached
passwords and passwords containing the e-mail address are refused. Passwords are stored as
Argon2id hashes with the parameters of OWASP's Password Storage Cheat Sheet.
"""

from __future__ import annotations

import unicodedata

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from gardien.errors import PasswordRejectedError
from gardien.services.accounts.breached import BreachedPasswords

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_EMAIL_PART = 4  # shorter local parts ("jo", "bob") would refuse too many good passwords

# OWASP Password Storage Cheat Sheet: Argon2id, 19 MiB of memory, 2 iterations, 1 lane.
MEMORY_COST_KIB = 19456
TIME_COST = 2
PARALLELISM = 1


def normalise(password: str) -> str:
    """The password as it is counted, hashed and compared: NFKC (NIST SP 800-63B 5.1.1.2)."""
    return unicodedata.normalize("NFKC", password)


class PasswordHasher:
    """Argon2id hashing; ``verifications`` counts the verifications run, dummy ones included."""

    def __init__(
        self,
        *,
        memory_cost: int = MEMORY_COST_KIB,
        time_cost: int = TIME_COST,
        parallelism: int = PARALLELISM,
    ) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        # A hash with the very same parameters as real ones, so a dummy check costs the same.
        self._dummy_hash = self._hasher.hash("gardien dummy password, never anybody's")
        self.verifications = 0

    def hash(self, password: str) -> str:
        """A new Argon2id hash (PHC string, random salt) of the normalised password."""
        return self._hasher.hash(normalise(password))

    def verify(self, stored_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``stored_hash``; False for a wrong password or bad hash."""
        self.verifications += 1
        return self._verify(stored_hash, password)

    def verify_dummy(self, password: str) -> None:
        """One full verification against a fixed hash, for a sign-in with an unknown e-mail.

        It takes as long as a real one, so the time of the answer does not reveal which
        addresses have an account.
        """
        self.verifications += 1
        self._verify(self._dummy_hash, password)

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether the hash was made with other parameters (or is unreadable): hash it again."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, normalise(password))
        except (VerificationError, InvalidHashError):
            return False


def check_new_password(password: str, *, email: str | None, breached: BreachedPasswords) -> None:
    """Refuse a new password with :class:`PasswordRejectedError` unless the policy accepts it.

    The checks run cheapest first; the breach check, which may use the network, comes last.
    """
    length = len(normalise(password))
    if length < MIN_LENGTH:
        raise PasswordRejectedError(
            "too_short", f"the password must have at least {MIN_LENGTH} characters"
        )
    if length > MAX_LENGTH:
        raise PasswordRejectedError(
            "too_long", f"the password must have at most {MAX_LENGTH} characters"
        )
    if email is not None and _contains_email(password, email):
        raise PasswordRejectedError(
            "contains_email", "the password must not contain your e-mail address"
        )
    if breached.is_breached(password):
        raise PasswordRejectedError(
            "breached",
            "this password appears in data breaches, so attackers try it first: choose another",
        )


def _contains_email(password: str, email: str) -> bool:
    local_part = normalise(email).rpartition("@")[0] or normalise(email)
    if len(local_part) < MIN_EMAIL_PART:
        return False
    return local_part.casefold() in normalise(password).casefold()

"""E-mail addresses of imported records: checked in full, fast for the ordinary ones.

email-validator costs some 25 µs an address, seconds for an import of 100,000 learners. Most
addresses are plain ASCII that a strict pattern recognises as valid for certain; only the rest
go through email-validator, which also gives the precise reason for a refusal.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from pydantic_core import PydanticCustomError

_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# A subset of what email-validator accepts: dot-atom local part, LDH labels, alphabetic TLD.
_PLAIN = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[a-z]{{2,63}}", re.ASCII)
# Top-level names email-validator refuses (special-use); they take the slow path and its message.
_SPECIAL_USE = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def _plainly_valid(address: str) -> bool:
    if len(address) > 254 or not _PLAIN.fullmatch(address):
        return False
    local, _, domain = address.rpartition("@")
    # IDNA labels ("xn--") need email-validator's decoding; long local parts its limits.
    return len(local) <= 64 and "--" not in domain and domain.rpartition(".")[2] not in _SPECIAL_USE


def normalise_email(value: str) -> str:
    """The address, lower-cased; raises a pydantic error naming the problem when it is invalid."""
    lowered = value.strip().lower()
    if _plainly_valid(lowered):
        return lowered
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise PydanticCustomError(
            "email", "not a valid e-mail address: {reason}", {"reason": str(exc)}
        ) from None
    return checked.normalized.lower()

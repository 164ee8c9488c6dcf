"""Time-based one-time passwords (RFC 6238, HMAC-SHA-1), written with the standard library only.

The domain does no I/O: the caller brings the random bytes of a new secret and the instant to
check a code against. A verified code yields its time step, which the caller stores so that the
same code (or an older one) is never accepted twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

DEFAULT_STEP = 30
DEFAULT_DIGITS = 6
MIN_SECRET_BYTES = 16  # RFC 4226 R6: at least 128 bits; 160 (20 bytes) is recommended.

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def generate_secret_b32(random_bytes: bytes) -> str:
    """The base32 form (no ``=`` padding) of a new shared secret made of ``random_bytes``.

    Pass 20 bytes from ``secrets.token_bytes(20)``; fewer than 16 raise ``ValueError``.
    """
    if len(random_bytes) < MIN_SECRET_BYTES:
        raise ValueError(f"a TOTP secret needs at least {MIN_SECRET_BYTES} random bytes")
    return base64.b32encode(random_bytes).decode("ascii").rstrip("=")


def time_step(at: datetime, *, step: int = DEFAULT_STEP) -> int:
    """The RFC 6238 counter ``T`` for the instant ``at`` (timezone-aware), in exact integers."""
    _check_aware(at)
    if step <= 0:
        raise ValueError("the time step must be a positive number of seconds")
    return (at - _EPOCH) // timedelta(seconds=step)


def totp(
    secret_b32: str, at: datetime, *, step: int = DEFAULT_STEP, digits: int = DEFAULT_DIGITS
) -> str:
    """The code of ``digits`` digits for ``secret_b32`` at the instant ``at`` (timezone-aware)."""
    return _hotp(_decode_secret(secret_b32), time_step(at, step=step), digits)


def verify_totp(
    secret_b32: str,
    code: str,
    at: datetime,
    *,
    last_step: int | None,
    window: int = 1,
    step: int = DEFAULT_STEP,
    digits: int = DEFAULT_DIGITS,
) -> int | None:
    """The time step ``code`` belongs to, or ``None`` when it is wrong, too old or replayed.

    Codes of the ``window`` steps either side of ``at`` are accepted (clocks drift); steps at
    or before ``last_step`` (the one stored after the previous success) are refused, so a code
    cannot be used twice. Spaces in ``code`` are ignored ("123 456").
    """
    if window < 0:
        raise ValueError("the window cannot be negative")
    key = _decode_secret(secret_b32)
    current = time_step(at, step=step)
    typed = "".join(code.split()).encode("ascii", errors="replace")
    matched: int | None = None
    # Every candidate is compared, without stopping at the first match: the time taken does not
    # say which step matched.
    for candidate in range(current - window, current + window + 1):
        if last_step is not None and candidate <= last_step:
            continue
        expected = _hotp(key, candidate, digits).encode("ascii")
        if hmac.compare_digest(expected, typed):
            matched = candidate
    return matched


def provisioning_uri(secret_b32: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from a QR code (Key Uri Format)."""
    if ":" in issuer or ":" in account:
        raise ValueError("neither the issuer nor the account may contain a colon")
    label = f"{quote(issuer, safe='')}:{quote(account, safe='@')}"
    query = urlencode(
        {
            "secret": _normalise_secret(secret_b32),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": str(DEFAULT_DIGITS),
            "period": str(DEFAULT_STEP),
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def grouped(secret_b32: str, *, size: int = 4) -> str:
    """The secret as a person reads and types it: upper case, in groups of ``size``."""
    cleaned = _normalise_secret(secret_b32)
    return " ".join(cleaned[start : start + size] for start in range(0, len(cleaned), size))


def _hotp(key: bytes, counter: int, digits: int) -> str:
    """RFC 4226 section 5.3: HMAC-SHA-1 of the counter, dynamic truncation, ``digits`` digits."""
    if not 6 <= digits <= 8:
        raise ValueError("a code has 6 to 8 digits")
    if counter < 0:
        raise ValueError("instants before 1970 have no TOTP code")
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def _normalise_secret(secret_b32: str) -> str:
    return "".join(secret_b32.split()).upper().rstrip("=")


def _decode_secret(secret_b32: str) -> bytes:
    # Apps and people show secrets in groups, lower case, without padding: accept all of those.
    cleaned = _normalise_secret(secret_b32)
    try:
        key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except ValueError as error:  # binascii.Error is a ValueError
        raise ValueError("the TOTP secret is not valid base32") from error
    if not key:
        raise ValueError("the TOTP secret is empty")
    return key


def _check_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the instant must be timezone-aware")

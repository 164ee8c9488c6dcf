"""Is a password known from data breaches? A bundled list, and Have I Been Pwned's range API.

OWASP ASVS 2.1.7 asks that new passwords be checked against breached ones. The bundled list
works offline; the range API (k-anonymity) sends only the first 5 hex characters of the
password's SHA-1, never the password nor its full hash, and falls back to the bundled list when
the service cannot answer: failing closed would stop everybody from setting a password.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import unicodedata
from importlib import resources
from pathlib import Path
from typing import Protocol

import httpx

DEFAULT_RANGE_URL = "https://api.pwnedpasswords.com"
DEFAULT_TIMEOUT = 5.0
LIST_FILE = "breached-passwords.txt"

logger = logging.getLogger(__name__)


class BreachedPasswords(Protocol):
    """Something that knows whether a password appeared in a data breach."""

    def is_breached(self, password: str) -> bool: ...


def sha1_hex(password: str) -> str:
    """The uppercase SHA-1 hex digest of the NFKC-normalised password (HIBP's form)."""
    normalised = unicodedata.normalize("NFKC", password)
    # SHA-1 is what the breach corpora are indexed by; it protects nothing here.
    return hashlib.sha1(normalised.encode("utf-8"), usedforsecurity=False).hexdigest().upper()


@functools.cache
def load_digests(path: Path | None = None) -> frozenset[str]:
    """The digests of a list file (the bundled one by default), read once per process."""
    if path is None:
        text = (
            resources.files("gardien.services.accounts")
            .joinpath(LIST_FILE)
            .read_text(encoding="utf-8")
        )
    else:
        text = path.read_text(encoding="utf-8")
    lines = (line.strip() for line in text.splitlines())
    return frozenset(line.upper() for line in lines if line and not line.startswith("#"))


class LocalBreachedList:
    """The bundled list of SHA-1 digests of commonly breached passwords (no network)."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path

    def is_breached(self, password: str) -> bool:
        """Whether the password's digest is in the list; case matters."""
        return sha1_hex(password) in load_digests(self._path)


class PwnedPasswordsRange:
    """Have I Been Pwned's Pwned Passwords range API, with a local list when it cannot answer.

    ``GET {base_url}/range/{first 5 hex}`` answers ``SUFFIX:COUNT`` lines; with the
    ``Add-Padding`` header the answer also carries decoy lines of count 0, so its size does not
    tell an observer which prefix was asked.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_RANGE_URL,
        *,
        fallback: BreachedPasswords | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.fallback: BreachedPasswords = fallback if fallback is not None else LocalBreachedList()
        self.timeout = timeout

    def is_breached(self, password: str) -> bool:
        """Whether the service lists the password; the local list decides when it cannot."""
        digest = sha1_hex(password)
        prefix, suffix = digest[:5], digest[5:]
        try:
            with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
                response = client.get(
                    f"{self.base_url}/range/{prefix}",
                    headers={"Add-Padding": "true", "User-Agent": "gardien-password-check"},
                )
        except httpx.HTTPError as error:
            # The class name only: httpx's messages carry the URL, and so the hash prefix.
            return self._fall_back(type(error).__name__, password)
        if response.status_code != 200:
            return self._fall_back(f"HTTP {response.status_code}", password)
        return _listed(response.text, suffix)

    def _fall_back(self, why: str, password: str) -> bool:
        logger.warning("Pwned Passwords range API unavailable (%s): using the local list", why)
        return self.fallback.is_breached(password)


def _listed(body: str, suffix: str) -> bool:
    for line in body.splitlines():
        candidate, _, count = line.strip().partition(":")
        if candidate.upper() == suffix:
            # Padding lines have a count of 0: they are decoys, not breached passwords.
            return count.strip().isdigit() and int(count) > 0
    return False


def breached_passwords(range_url: str | None) -> BreachedPasswords:
    """The bundled list when ``range_url`` is None, else the range API with the list as fallback."""
    if range_url is None:
        return LocalBreachedList()
    return PwnedPasswordsRange(range_url)

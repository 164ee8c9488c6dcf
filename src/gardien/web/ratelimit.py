"""A small in-memory rate limiter for the public forms (per client, per address).

Nothing is written anywhere: keys are kept hashed (SHA-256 with a per-process salt) in this
process's memory only, for the length of the window, so no IP address or e-mail address is
stored (the notice promises no IP address is kept). With several server processes, each
counts on its own: the effective limit is multiplied by their number (docs/website.md).
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from time import monotonic

from gardien.errors import TooManyRequestsError


class RateLimiter:
    """At most ``limit`` hits per key in any ``window`` seconds; ``max_keys`` bounds memory."""

    def __init__(
        self,
        *,
        limit: int,
        window: float,
        max_keys: int = 100_000,
        timer: Callable[[], float] = monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs a positive limit and window")
        self.limit = limit
        self.window = window
        self._max_keys = max_keys
        self._timer = timer
        self._salt = os.urandom(16)
        self._hits: OrderedDict[bytes, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _key(self, key: str) -> bytes:
        return hashlib.sha256(self._salt + key.encode()).digest()

    def hit(self, key: str) -> None:
        """Count one hit for ``key``; :class:`TooManyRequestsError` past the limit."""
        now = self._timer()
        hashed = self._key(key)
        with self._lock:
            hits = self._hits.pop(hashed, None) or deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                self._hits[hashed] = hits
                raise TooManyRequestsError(max(1, math.ceil(hits[0] + self.window - now)))
            hits.append(now)
            self._hits[hashed] = hits  # most recently used last
            while len(self._hits) > self._max_keys:
                self._hits.popitem(last=False)


@dataclass(frozen=True)
class FormLimits:
    """The forms' limits: per client (IP address) and per e-mail address.

    Sign-in has its own, looser per-address limit (people mistype passwords) that still stops
    guessing: 5 tries per address in 15 minutes (OWASP ASVS 2.2.1), whether or not the address
    has an account, so the limit itself reveals nothing. Password-reset requests and DSR
    requests without an account share the public forms' per-address limit (3 an hour).
    """

    per_client: RateLimiter = field(default_factory=lambda: RateLimiter(limit=10, window=600))
    per_address: RateLimiter = field(default_factory=lambda: RateLimiter(limit=3, window=3600))
    sign_in_client: RateLimiter = field(default_factory=lambda: RateLimiter(limit=20, window=600))
    sign_in_address: RateLimiter = field(default_factory=lambda: RateLimiter(limit=5, window=900))

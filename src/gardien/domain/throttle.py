"""Throttling arithmetic: how many tries a counter allows, and how long a client then waits.

Two kinds of rule (docs/accounts.md, "Throttling"):

- :class:`FixedWindow`: at most ``limit`` hits in a window that opens at the first hit and
  lasts ``window``; the hit that reaches the limit blocks the counter until the window closes.
  The public forms, reset requests, the second factor, and the per-address cap of sign-in.
- :class:`GrowingDelay`: the first ``free`` failures cost nothing; after ``n`` failures the next
  try must wait ``base * 2**(n - free)``, at most ``cap`` (OWASP's exponential lockout). Sign-in
  failures of one (address, client) pair, so that a stranger guessing from their machine makes
  only themselves wait.

A counter is counted *before* the guarded work is done (a try is a failure until it succeeds;
the caller then releases or clears it), so that tries sent at the same moment cannot all slip
in before the first failure is written. :func:`hit` is the reference transition the store
implements in SQL (``store/throttle.py``); the tests hold the two to the same results.

Counters are named by :class:`ThrottleKeys`: keyed hashes (HMAC-SHA-256 under a key derived
from the server secret) of what they count, never the address or the IP address itself. A plain
hash would not do: IPv4 addresses and e-mail addresses are few enough to hash them all.

:class:`KnownDevices` signs the "known device" token a browser gets at a complete sign-in: the
owner's own browser is then a client of its own, even behind the same proxy as a stranger.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from gardien.domain.cookies import DEVICE_LIFETIME

_KEY_PURPOSE = b"gardien/throttle/v1"
_DEVICE_PURPOSE = b"gardien/known-device/v1"
# 2**62 seconds is beyond any cap; past it the exponent is not worth computing.
_MAX_EXPONENT = 62


@dataclass(frozen=True, slots=True)
class FixedWindow:
    """At most ``limit`` hits in a window opened by the first hit and lasting ``window``."""

    limit: int
    window: timedelta

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= timedelta(0):
            raise ValueError("a fixed window needs a positive limit and length")

    def blocked_until(self, hits: int, window_start: datetime, now: datetime) -> datetime | None:
        """Until when the counter refuses, after ``hits`` hits in the window (None: it does not)."""
        return window_start + self.window if hits >= self.limit else None


@dataclass(frozen=True, slots=True)
class GrowingDelay:
    """After ``free`` failures, the n-th makes the next try wait ``base * 2**(n - free)``.

    The wait never exceeds ``cap``; the count starts again ``window`` after its first failure
    (unless a wait is still running), or at once after a success (the caller clears it).
    """

    free: int = 3
    base: timedelta = timedelta(seconds=1)
    cap: timedelta = timedelta(minutes=15)
    window: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        if self.free < 0 or self.base <= timedelta(0) or self.cap < self.base:
            raise ValueError("a growing delay needs free >= 0 and 0 < base <= cap")
        if self.window <= timedelta(0):
            raise ValueError("a growing delay needs a positive window")

    def delay(self, failures: int) -> timedelta:
        """The wait after ``failures`` failures: none before ``free``, then doubling, capped."""
        if failures < self.free:
            return timedelta(0)
        exponent = failures - self.free
        if exponent >= _MAX_EXPONENT:
            return self.cap
        grown: timedelta = self.base * (2**exponent)
        return min(grown, self.cap)

    def blocked_until(self, hits: int, window_start: datetime, now: datetime) -> datetime | None:
        """Until when the next try waits, ``hits`` failures in (None: it need not wait)."""
        wait = self.delay(hits)
        return now + wait if wait > timedelta(0) else None


Rule = FixedWindow | GrowingDelay


@dataclass(frozen=True, slots=True)
class Counter:
    """One counter as it is stored: hits in the current window, and any running block."""

    hits: int
    window_start: datetime
    blocked_until: datetime | None = None

    def blocked_at(self, now: datetime) -> bool:
        return self.blocked_until is not None and self.blocked_until > now

    def expires_at(self, rule: Rule) -> datetime:
        """When the counter stops mattering: its window closed and any block over."""
        end = self.window_start + rule.window
        return max(end, self.blocked_until) if self.blocked_until is not None else end


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to one hit: allowed (and counted), or refused for ``retry_after`` seconds."""

    allowed: bool
    retry_after: int
    counter: Counter


def retry_after(blocked_until: datetime, now: datetime) -> int:
    """Whole seconds until ``blocked_until`` (at least 1: Retry-After: 0 invites a retry now)."""
    return max(1, math.ceil((blocked_until - now).total_seconds()))


def hit(rule: Rule, counter: Counter | None, now: datetime) -> Verdict:
    """Count one try on ``counter`` (None: no row yet) at ``now``, or refuse it while blocked.

    A refused try is not counted. A window that has closed starts again at this try. The
    returned counter carries the block this try sets if it turns out to be a failure.
    """
    if counter is not None and counter.blocked_at(now):
        assert counter.blocked_until is not None
        return Verdict(False, retry_after(counter.blocked_until, now), counter)
    if counter is None or counter.window_start <= now - rule.window:
        hits, start = 1, now
    else:
        hits, start = counter.hits + 1, counter.window_start
    return Verdict(True, 0, Counter(hits, start, rule.blocked_until(hits, start, now)))


def release(rule: FixedWindow, counter: Counter) -> Counter:
    """Take back one hit that turned out a success (the block it set, if any, goes with it)."""
    hits = max(0, counter.hits - 1)
    start = counter.window_start
    return Counter(hits, start, rule.blocked_until(hits, start, start))


class ThrottleKeys:
    """Names counters by keyed hashes: ``of("sign-in", address, client)`` is 64 hex digits.

    The key is derived from the server secret and this purpose only, so the hashes are useless
    for anything else and, without the key, say nothing about what they count.
    """

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("throttle keys need a non-empty secret")
        self._key = hmac.new(secret.encode(), _KEY_PURPOSE, hashlib.sha256).digest()

    def __repr__(self) -> str:
        return "ThrottleKeys(...)"

    def of(self, scope: str, *parts: str) -> str:
        """The counter of ``parts`` in ``scope``; parts are JSON-encoded, so none can collide."""
        text = json.dumps([scope, *parts], ensure_ascii=False)
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()


class KnownDevices:
    """Tokens telling that a browser completed a sign-in to an address before.

    A token reads ``<device id>.<issued, seconds since the epoch>.<MAC>``; the MAC covers the
    three and the (normalised) address, which the token does not carry: it is valid only for
    the address typed in the form, and only for ``lifetime`` after it was issued.
    """

    def __init__(self, secret: str, *, lifetime: timedelta = DEVICE_LIFETIME) -> None:
        if not secret:
            raise ValueError("known-device tokens need a non-empty secret")
        self._key = hmac.new(secret.encode(), _DEVICE_PURPOSE, hashlib.sha256).digest()
        self.lifetime = lifetime

    def __repr__(self) -> str:
        return "KnownDevices(...)"

    def _mac(self, device: str, issued: int, address: str) -> str:
        text = json.dumps([device, issued, address.strip().lower()], ensure_ascii=False)
        digest = hmac.new(self._key, text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def issue(self, device: str, address: str, now: datetime) -> str:
        """A token naming ``device`` (random, URL-safe, chosen by the caller) for ``address``."""
        if not device or "." in device or not device.isascii():
            raise ValueError("a device id is a non-empty URL-safe text without dots")
        issued = int(now.timestamp())
        return f"{device}.{issued}.{self._mac(device, issued, address)}"

    def device_of(self, token: str | None, address: str, now: datetime) -> str | None:
        """The device id of a genuine, unexpired token for ``address``; None for anything else."""
        if not token or len(token) > 200 or not token.isascii():
            return None
        device, _, rest = token.partition(".")
        issued_text, _, mac = rest.partition(".")
        if not device or not mac or not issued_text.isdigit():
            return None
        issued = int(issued_text)
        if not hmac.compare_digest(mac, self._mac(device, issued, address)):
            return None
        age = now.timestamp() - issued
        if age < -60 or age > self.lifetime.total_seconds():
            return None
        return device

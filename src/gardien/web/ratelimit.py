"""Throttling of sign-in, the second factor and the public forms, counted in the database.

Every counter is a ``throttle_counter`` row (``store/throttle.py``), so all worker processes
share one limit. Each check runs in its own short write transaction; the pages call these
methods off the event loop (``run_in_threadpool``). Counters are named by keyed hashes
(``domain/throttle.py``): no address and no IP address is written anywhere.

Sign-in (docs/accounts.md, "Throttling") counts each (address, client) pair with growing
delays, so that a stranger guessing a password only makes themselves wait, while the owner
signs in from their own browser. Guesses at one address from every client that is not a known
device of it are capped per hour; known devices (a signed cookie given at a complete sign-in,
``web/devices.py``) skip that cap and the per-client one, and still wait on their own pair.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import Connection

from gardien.bootstrap import Container
from gardien.domain.throttle import FixedWindow, GrowingDelay, KnownDevices, ThrottleKeys
from gardien.errors import TooManyRequestsError
from gardien.store import throttle
from gardien.store.uow import UnitOfWork

T = TypeVar("T")

# Sign-in, per (address, client): 3 failures free, then 1 s, 2 s, 4 s ... at most 15 minutes
# between tries; the count starts again after a success, or a day after its first failure.
SIGN_IN_PAIR = GrowingDelay(
    free=3, base=timedelta(seconds=1), cap=timedelta(minutes=15), window=timedelta(hours=24)
)
# Sign-in, per address, from every client that is not a known device of it: 50 tries an hour,
# then those clients wait for the hour to end (known devices still pass).
SIGN_IN_ADDRESS = FixedWindow(limit=50, window=timedelta(hours=1))
# Sign-in, per network client, whatever the address (password spraying): 20 tries in 10
# minutes. A try that succeeds is given back, here and in the per-address cap.
SIGN_IN_CLIENT = FixedWindow(limit=20, window=timedelta(minutes=10))
# Public forms and reset requests: 10 per form and client in 10 minutes, 3 per form and
# address an hour (nobody can flood an address with e-mails).
FORM_CLIENT = FixedWindow(limit=10, window=timedelta(minutes=10))
FORM_ADDRESS = FixedWindow(limit=3, window=timedelta(hours=1))
# What a signed-in account types again (second-factor codes, the password confirming an
# erasure): 5 tries per account in 15 minutes.
ACCOUNT_ACTION = FixedWindow(limit=5, window=timedelta(minutes=15))


@dataclass(frozen=True)
class Client:
    """Who tries to sign in: a known device of the address (its id), or else a network client."""

    network: str
    device: str | None = None


@dataclass(frozen=True)
class SignInAttempt:
    """A counted sign-in try: what to clear and give back if it succeeds."""

    pair: str
    given_back: tuple[tuple[str, FixedWindow, datetime], ...] = ()


class Limits:
    """The web app's counters, in the database of ``container`` under its clock and secret."""

    def __init__(self, container: Container) -> None:
        secret = container.settings.secret_key.get_secret_value()
        self._container = container
        self.keys = ThrottleKeys(secret)
        self.devices = KnownDevices(secret)

    @property
    def clock_now(self) -> datetime:
        return self._container.clock.now()

    def _write(self, work: Callable[[Connection], T]) -> T:
        """``work`` in a short transaction of its own; refused (raised) means nothing counted."""
        with UnitOfWork(self._container.engine, write=True) as uow:
            result = work(uow.connection)
            uow.commit()
            return result

    def _hit(self, connection: Connection, key: str, rule: FixedWindow | GrowingDelay) -> datetime:
        verdict = throttle.hit(connection, key, rule, self.clock_now)
        if not verdict.allowed:
            raise TooManyRequestsError(verdict.retry_after)
        return verdict.counter.window_start

    def form(self, form: str, network: str, address: str | None) -> None:
        """Count a submission of ``form``; :class:`TooManyRequestsError` past a limit."""

        def count(connection: Connection) -> None:
            self._hit(connection, self.keys.of("form-client", form, network), FORM_CLIENT)
            if address:
                normalised = address.strip().lower()
                self._hit(connection, self.keys.of("form-address", form, normalised), FORM_ADDRESS)

        self._write(count)

    def account_action(self, action: str, account_id: int) -> None:
        """Count a try at ``action`` (a code, a password typed again) by a signed-in account."""
        key = self.keys.of("account", action, str(account_id))
        self._write(lambda connection: self._hit(connection, key, ACCOUNT_ACTION))

    def sign_in(self, address: str, client: Client) -> SignInAttempt:
        """Count a sign-in try at ``address`` by ``client`` before the password is checked.

        A try counts as a failure until :meth:`signed_in` says otherwise, so that tries sent
        at once cannot all pass before the first failure is written. Known and unknown
        addresses are counted alike: the answer says nothing about which exist.
        """
        address = address.strip().lower()
        who = ("device", client.device) if client.device else ("network", client.network)
        pair = self.keys.of("sign-in", address, *who)

        def count(connection: Connection) -> SignInAttempt:
            given_back: list[tuple[str, FixedWindow, datetime]] = []
            if client.device is None:
                # The same order in every transaction (client, address, pair): no deadlock.
                capped = (
                    (self.keys.of("sign-in-client", client.network), SIGN_IN_CLIENT),
                    (self.keys.of("sign-in-address", address), SIGN_IN_ADDRESS),
                )
                for key, rule in capped:
                    given_back.append((key, rule, self._hit(connection, key, rule)))
            self._hit(connection, pair, SIGN_IN_PAIR)
            return SignInAttempt(pair, tuple(given_back))

        return self._write(count)

    def signed_in(self, attempt: SignInAttempt) -> None:
        """The password was right: its pair starts again, and the capped counts get it back."""

        def forget(connection: Connection) -> None:
            for key, rule, window_start in attempt.given_back:
                throttle.release(connection, key, rule, window_start)
            throttle.clear(connection, attempt.pair)

        self._write(forget)

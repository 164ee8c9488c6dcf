"""Deliver the outbox over SMTP: nothing lost in an outage, nothing sent twice, with backoff.

One run (:func:`send_due`) claims up to ``limit`` due messages in one short transaction and
commits: each claimed row gets ``send_after = now + lease`` and one more attempt, so no other
sender takes it until the lease ends (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN
IMMEDIATE`` on SQLite; see :func:`gardien.store.outbox.claim_due`). Then, message by message,
it composes, signs (DKIM, when configured), hands the bytes to the transport, and records the
outcome in its own short transaction:

* accepted by the server: ``sent_at`` is set at once, and the message is never claimed again;
* refused for now (4xx, connection lost during the transaction): ``last_error``, and due again
  at ``now + backoff(attempts)`` (:func:`backoff`);
* refused for good (5xx for this message), or a row that cannot make a valid e-mail: given up,
  ``attempts = max_attempts`` so it is never claimed again, ``sent_at`` stays NULL;
* the server unreachable (refused, timeout, TLS, login, a refused sender): this message and
  every remaining one of the batch go back *untried*: the attempt the claim counted is taken
  back and they are due again after :func:`backoff` of their attempts. An outage therefore loses
  nothing and uses up no attempt: ``max_attempts`` counts refusals by the server only.

"Never sent twice" means: a message the server accepted is marked sent in the very next
transaction, and a marked message is never claimed again. Two windows remain, both narrow:
the process dies (or the database is unreachable) between the server's "250 OK" and that
commit, or the connection drops after the data was sent but before the reply was read. The
message is then still unsent in the table and is sent again once its lease ends (10 minutes by
default). Its ``Message-ID`` is the same both times (:func:`gardien.mail.compose.message_id`),
so the copy is recognisable. A sender also never starts on a message whose lease ends within
:func:`lease_margin`, so a slow run cannot overlap a later claim of the same rows.

No e-mail address is ever logged or stored in ``last_error``: logs name outbox ids. An
unexpected error (a bug, the database gone) stops the run; the rows it had claimed and not
finished wait for their lease to end, like after a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from gardien.domain.clock import Clock
from gardien.errors import (
    ConfigurationError,
    MailDeliveryError,
    MailServerUnavailableError,
    PermanentDeliveryError,
)
from gardien.mail.compose import compose, sender_address, to_bytes
from gardien.mail.dkim import DkimSigner, signer_from_settings
from gardien.mail.smtp import SmtpTransport, Transport
from gardien.settings import Settings
from gardien.store import outbox
from gardien.store.outbox import QueuedMessage, redact_addresses
from gardien.store.uow import UnitOfWork

log = logging.getLogger(__name__)

TransportFactory = Callable[[Settings], Transport]
DEFAULT_LIMIT = 100
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_LEASE = timedelta(minutes=10)
BACKOFF_CAP = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """How long after its ``attempts``-th failed attempt a message is retried.

    ``min(2 ** (attempts - 1) minutes, 6 hours)``: 1, 2, 4, 8, 16, 32, 64, 128, 256 minutes,
    then 6 hours. Deterministic (no jitter): a run's retries are spread already by the order in
    which the messages failed, and tests can move a fixed clock past it.
    """
    if attempts < 1:
        raise ValueError("backoff follows a failed attempt: attempts must be at least 1")
    if attempts > 20:  # 2 ** 19 minutes is far past the cap; avoid huge timedeltas
        return BACKOFF_CAP
    return min(timedelta(minutes=2 ** (attempts - 1)), BACKOFF_CAP)


def lease_margin(settings: Settings) -> timedelta:
    """How long before its lease ends a claimed message is no longer started.

    One delivery may wait up to ``GARDIEN_SMTP_TIMEOUT`` for each of: connect, EHLO, STARTTLS,
    login, MAIL, RCPT and DATA; six timeouts bound it in practice.
    """
    return timedelta(seconds=6 * settings.smtp_timeout)


@dataclass
class SendReport:
    """What one run did, in counts only (never an address)."""

    sent: int = 0
    retry_later: int = 0
    given_up: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retry_later + self.given_up

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "retry_later": self.retry_later, "given_up": self.given_up}

    def summary(self) -> str:
        return (
            f"outbox: {self.sent} sent, {self.retry_later} to retry later, {self.given_up} given up"
        )


def send_due(
    engine: Engine,
    *,
    settings: Settings,
    clock: Clock,
    transport_factory: TransportFactory = SmtpTransport,
    limit: int = DEFAULT_LIMIT,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    lease: timedelta = DEFAULT_LEASE,
    should_stop: Callable[[], bool] | None = None,
) -> SendReport:
    """Send up to ``limit`` due messages of the outbox; see the module for the guarantees.

    ``should_stop`` is asked before each message; once it answers True the messages not yet
    tried go back untried (an interrupted ``gardien outbox send --loop``). Raises
    ``ConfigurationError`` before claiming anything when the DKIM key or the sender address is
    unusable.
    """
    if lease <= lease_margin(settings):
        raise ConfigurationError(
            f"GARDIEN_SMTP_TIMEOUT ({settings.smtp_timeout:g} s) is too long for a lease of "
            f"{lease}: a lease must outlast six SMTP timeouts"
        )
    signer = signer_from_settings(settings)
    try:
        envelope_from = sender_address(settings.mail_from)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    report = SendReport()
    now = clock.now()
    lease_until = now + lease
    with UnitOfWork(engine, write=True) as uow:
        claimed = outbox.claim_due(
            uow.connection,
            now=now,
            lease_until=lease_until,
            limit=limit,
            max_attempts=max_attempts,
        )
        uow.commit()
    if not claimed:
        return report
    log.info("outbox: claimed %d messages until %s", len(claimed), lease_until.isoformat())
    deadline = lease_until - lease_margin(settings)
    transport = transport_factory(settings)
    try:
        for index, message in enumerate(claimed):
            if (should_stop is not None and should_stop()) or clock.now() >= deadline:
                _release(engine, claimed[index:], clock, lease_until, error=None)
                report.retry_later += len(claimed) - index
                break
            try:
                data = _render(message, settings=settings, signer=signer, clock=clock)
            except ValueError as exc:
                _give_up(engine, message, f"cannot compose: {exc}", max_attempts, lease_until)
                report.given_up += 1
                continue
            try:
                transport.send(sender=envelope_from, recipient=message.recipient, data=data)
            except MailServerUnavailableError as exc:
                _release(engine, claimed[index:], clock, lease_until, error=str(exc))
                report.retry_later += len(claimed) - index
                break
            except PermanentDeliveryError as exc:
                _give_up(engine, message, str(exc), max_attempts, lease_until)
                report.given_up += 1
            except MailDeliveryError as exc:
                _retry_later(engine, message, str(exc), clock, lease_until, max_attempts)
                if message.attempts >= max_attempts:
                    report.given_up += 1
                else:
                    report.retry_later += 1
            else:
                _mark_sent(engine, message, clock)
                report.sent += 1
    finally:
        transport.close()
    return report


def _render(
    message: QueuedMessage, *, settings: Settings, signer: DkimSigner | None, clock: Clock
) -> bytes:
    data = to_bytes(compose(message, mail_from=settings.mail_from, now=clock.now()))
    return signer.sign(data) if signer is not None else data


def _mark_sent(engine: Engine, message: QueuedMessage, clock: Clock) -> None:
    # Marked whoever holds the claim now: the server has the message, that is the fact.
    with UnitOfWork(engine, write=True) as uow:
        outbox.mark_sent(uow.connection, message.id, now=clock.now())
        uow.commit()
    log.info("outbox %d: sent", message.id)


def _retry_later(
    engine: Engine,
    message: QueuedMessage,
    error: str,
    clock: Clock,
    lease_until: datetime,
    max_attempts: int,
) -> None:
    error = redact_addresses(error)
    retry_at = clock.now() + backoff(message.attempts)
    with UnitOfWork(engine, write=True) as uow:
        outbox.mark_failed(
            uow.connection, message.id, error=error, retry_at=retry_at, claimed_until=lease_until
        )
        uow.commit()
    if message.attempts >= max_attempts:
        log.warning(
            "outbox %d: attempt %d failed, the last one: %s", message.id, message.attempts, error
        )
    else:
        log.warning(
            "outbox %d: attempt %d failed, retry at %s: %s",
            message.id,
            message.attempts,
            retry_at.isoformat(),
            error,
        )


def _give_up(
    engine: Engine, message: QueuedMessage, error: str, max_attempts: int, lease_until: datetime
) -> None:
    error = redact_addresses(error)
    with UnitOfWork(engine, write=True) as uow:
        outbox.mark_given_up(
            uow.connection,
            message.id,
            error=error,
            max_attempts=max_attempts,
            claimed_until=lease_until,
        )
        uow.commit()
    log.warning("outbox %d: given up: %s", message.id, error)


def _release(
    engine: Engine,
    messages: Sequence[QueuedMessage],
    clock: Clock,
    lease_until: datetime,
    *,
    error: str | None,
) -> None:
    """Put untried messages back: their attempt is not counted; due after their backoff."""
    error = None if error is None else redact_addresses(error)
    now = clock.now()
    with UnitOfWork(engine, write=True) as uow:
        for message in messages:
            # The claim counted one attempt; the delay is that of the attempts before it, so a
            # message that never failed is retried a minute later, whatever the outage's length.
            retry_at = now + backoff(max(message.attempts - 1, 1))
            outbox.release(
                uow.connection,
                message.id,
                retry_at=retry_at,
                error=error,
                claimed_until=lease_until,
            )
        uow.commit()
    ids = ", ".join(str(message.id) for message in messages)
    log.warning("outbox %s: put back untried%s", ids, f" ({error})" if error else "")

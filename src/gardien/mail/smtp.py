"""Hand messages to an SMTP server (smtplib): one session reused for a whole run.

:class:`SmtpTransport` opens its session on the first message (implicit TLS, or STARTTLS, and
a login, as the settings say), checks it with ``NOOP`` before each further message and opens a
new one if the server has hung up meanwhile. Every failure becomes one of three errors
(:mod:`gardien.errors`), whose message names the SMTP code and the exception's class, never an
address:

=============================  ==========================================  =====================
error                          when                                        the outbox
=============================  ==========================================  =====================
``MailServerUnavailableError`` no session: refused, timeout, TLS, login;   the whole batch goes
                               421; the server refuses our sender (MAIL    back, no attempt
                               FROM) except for the message's size         counted
``PermanentDeliveryError``     5xx for this message (recipient, content,   given up, never
                               size)                                       retried
``MailDeliveryError``          4xx for this message; the connection lost   retried with backoff
                               during the transaction
=============================  ==========================================  =====================

A refused sender is a configuration problem (a wrong ``GARDIEN_MAIL_FROM``, missing
credentials), not a fault of the message: treating it as permanent would give up the whole
queue, so it only stops the run.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from types import TracebackType
from typing import Protocol, Self

from gardien.errors import MailDeliveryError, MailServerUnavailableError, PermanentDeliveryError
from gardien.settings import Settings
from gardien.store.outbox import REDACTED, redact_addresses

# "Service not available, closing transmission channel": about the server, not the message.
SERVICE_NOT_AVAILABLE = 421
# "Message size exceeds fixed maximum": the one sender refusal that is about the message.
MESSAGE_TOO_BIG = 552


class Transport(Protocol):
    """Delivers raw messages; tests may substitute their own."""

    def send(self, *, sender: str, recipient: str, data: bytes) -> None:
        """Deliver ``data`` to ``recipient``; raise a ``MailDeliveryError`` if not accepted."""
        ...

    def close(self) -> None:
        """End the session, if one is open."""
        ...


def describe(
    exc: BaseException, *, code: int | None = None, text: bytes | str | None = None
) -> str:
    """``ClassName: code text`` with every address removed (SMTP replies often quote them).

    ``text`` defaults to the exception's own message.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if text is None:
        text = str(exc)
    detail = " ".join(part for part in (str(code) if code else "", text.strip()) if part)
    name = type(exc).__name__
    return redact_addresses(f"{name}: {detail}" if detail else name)


class SmtpTransport:
    """The SMTP server of the settings, one session for as many messages as a run sends."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def send(self, *, sender: str, recipient: str, data: bytes) -> None:
        """Deliver ``data`` to ``recipient``; return only once the server has accepted it."""
        smtp = self._session()
        try:
            smtp.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients.get(recipient, (0, b""))
            raise self._by_code(exc, code, text, recipient) from None
        except smtplib.SMTPSenderRefused as exc:
            message = describe(exc, code=exc.smtp_code, text=exc.smtp_error)
            if exc.smtp_code == MESSAGE_TOO_BIG:
                raise PermanentDeliveryError(message) from None
            self._drop()
            raise MailServerUnavailableError(message) from None
        except smtplib.SMTPResponseException as exc:
            raise self._by_code(exc, exc.smtp_code, exc.smtp_error, recipient) from None
        except UnicodeError as exc:
            # A non-ASCII address cannot go in an ASCII SMTP command: no retry will change it.
            # The session may be mid-command: start the next message on a fresh one.
            self._drop()
            raise PermanentDeliveryError(describe(exc, text="address not ASCII")) from None
        except (OSError, smtplib.SMTPException) as exc:
            # The session broke during the transaction: the message was offered, so the
            # attempt counts; the next message opens a new session.
            self._drop()
            raise MailDeliveryError(describe(exc, text=_scrub(str(exc), recipient))) from None

    def close(self) -> None:
        """Say QUIT and close the session, if one is open; never raises."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def _by_code(
        self, exc: BaseException, code: int, text: bytes | str, recipient: str
    ) -> MailDeliveryError:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        message = describe(exc, code=code, text=_scrub(text, recipient))
        if code == SERVICE_NOT_AVAILABLE:
            self._drop()
            return MailServerUnavailableError(message)
        if 500 <= code <= 599:
            return PermanentDeliveryError(message)
        return MailDeliveryError(message)

    def _session(self) -> smtplib.SMTP:
        if self._smtp is not None:
            try:
                code, _ = self._smtp.noop()
            except (OSError, smtplib.SMTPException):
                code = 0
            if code == 250:
                return self._smtp
            self._drop()
        self._smtp = self._connect()
        return self._smtp

    def _connect(self) -> smtplib.SMTP:
        settings = self._settings
        context = ssl.create_default_context()
        smtp: smtplib.SMTP | None = None
        try:
            if settings.smtp_ssl:
                smtp = smtplib.SMTP_SSL(
                    settings.smtp_host,
                    settings.smtp_port,
                    timeout=settings.smtp_timeout,
                    context=context,
                )
            else:
                smtp = smtplib.SMTP(
                    settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout
                )
            smtp.ehlo()
            if settings.smtp_starttls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.smtp_username is not None and settings.smtp_password is not None:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        except smtplib.SMTPResponseException as exc:
            _close_quietly(smtp)
            raise MailServerUnavailableError(
                describe(exc, code=exc.smtp_code, text=exc.smtp_error)
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            _close_quietly(smtp)
            raise MailServerUnavailableError(describe(exc)) from None
        return smtp

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        _close_quietly(smtp)


def _scrub(text: str, recipient: str) -> str:
    # The recipient first, in case it is not shaped like the address pattern expects.
    return text.replace(recipient, REDACTED) if recipient else text


def _close_quietly(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        with contextlib.suppress(OSError):
            smtp.close()

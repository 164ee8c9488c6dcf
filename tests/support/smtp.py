"""A real SMTP server (aiosmtpd) on loopback for the mail tests: it records, refuses, goes down.

``with smtp_server() as server:`` gives a running server on a free port of 127.0.0.1. It keeps
every message accepted (``server.received``: envelope, raw bytes, parsed message), answers a
chosen reply to chosen recipients (``server.refusals``), and simulates an outage: ``stop()``
then ``start()`` again on the same port, or ``go_down_after(k)`` to drop the connection and
stop listening right after accepting ``k`` more messages, in the middle of a run.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.server import free_port


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage


class _Handler:
    def __init__(self, owner: SmtpServer) -> None:
        self._owner = owner

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        refusal = self._owner.refusals.get(address.lower())
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed: Any = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self._owner._record(
            Received(str(envelope.mail_from), list(envelope.rcpt_tos), raw, parsed), server
        )
        return "250 OK: queued"


class SmtpServer:
    """An aiosmtpd server on ``127.0.0.1:port`` that can be stopped and started again.

    With ``tls``: STARTTLS offered and required (``implicit_tls``: TLS from the first byte
    instead). With ``credentials`` (and STARTTLS: aiosmtpd offers AUTH over TLS only after
    STARTTLS, and warns when AUTH goes without TLS): AUTH required.
    """

    def __init__(
        self,
        *,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self._tls = tls
        self._implicit_tls = implicit_tls
        self._credentials = credentials
        self.received: list[Received] = []
        # Recipient (lower case) -> the reply to RCPT TO, e.g. "550 5.1.1 <...>: no such user".
        self.refusals: dict[str, str] = {}
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self._down_after: int | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages accepted so far, parsed with ``email.policy.default``."""
        with self._lock:
            return [item.message for item in self.received]

    @property
    def raw(self) -> list[bytes]:
        """The bytes of each message accepted so far, as received."""
        with self._lock:
            return [item.raw for item in self.received]

    def per_recipient(self) -> Counter[str]:
        """How many messages each envelope recipient received."""
        with self._lock:
            return Counter(rcpt for item in self.received for rcpt in item.rcpt_tos)

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        """Listen on the port (the same one after a stop)."""
        assert self._controller is None, "already running"
        self._down_after = None
        options: dict[str, Any] = {}
        if self._tls is not None and self._implicit_tls:
            options["ssl_context"] = self._tls
        elif self._tls is not None:
            options.update(tls_context=self._tls, require_starttls=True)
        if self._credentials is not None:
            assert self._tls is not None and not self._implicit_tls, "AUTH goes with STARTTLS"
            options.update(authenticator=self._authenticate, auth_required=True)
        controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **options)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening and close every session; connections are refused until start()."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def go_down_after(self, count: int) -> None:
        """After accepting ``count`` more messages: hang up on that session, stop listening.

        The reply "250" of the last accepted message still reaches the client; its next
        command finds the connection closed, and a new connection is refused. Call
        :meth:`stop` then :meth:`start` to recover.
        """
        assert count >= 1
        self._down_after = count

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert self._credentials is not None
        user, password = self._credentials
        ok = isinstance(data, LoginPassword) and data == (user.encode(), password.encode())
        return AuthResult(success=ok, handled=False)  # on failure, aiosmtpd answers 535

    def _record(self, item: Received, session_server: SMTP) -> None:
        with self._lock:
            self.received.append(item)
        if self._down_after is None:
            return
        self._down_after -= 1
        if self._down_after == 0:
            self._down_after = None
            assert self._controller is not None and self._controller.server is not None
            self._controller.server.close()  # no new connections from now on
            transport = session_server.transport
            assert transport is not None
            # Runs after the "250" reply is written (same loop, next turn): close flushes it.
            asyncio.get_running_loop().call_soon(transport.close)


@contextmanager
def smtp_server(**options: Any) -> Iterator[SmtpServer]:
    """A running :class:`SmtpServer` (``options`` as for it), stopped at the end."""
    server = SmtpServer(**options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def generate_dkim_key(directory: Path) -> tuple[Path, str]:
    """A fresh 2048-bit RSA key in PEM (``openssl genrsa``), and the ``p=`` value of its TXT
    record (base64 of the DER public key)."""
    private = directory / "dkim.pem"
    subprocess.run(
        ["openssl", "genrsa", "-out", str(private), "2048"], check=True, capture_output=True
    )
    public = subprocess.run(
        ["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    return private, base64.b64encode(public).decode("ascii")


def dns_record(domain: str, selector: str, public_b64: str) -> Any:
    """A ``dnsfunc`` for ``dkim.verify`` that knows one DKIM key record, and nothing else."""

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        if name == f"{selector}._domainkey.{domain}.".encode():
            return f"v=DKIM1; k=rsa; p={public_b64}".encode()
        return None

    return lookup


def self_signed_tls(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context for 127.0.0.1 with a fresh self-signed certificate, and the
    certificate's file (for a client to trust, e.g. through ``SSL_CERT_FILE``)."""
    key, cert = directory / "tls.key", directory / "tls.pem"
    subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            *subject,
            *files,
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert

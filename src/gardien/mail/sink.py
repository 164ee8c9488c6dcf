"""The development mail sink: an SMTP server on loopback that keeps every message as a file.

``make demo`` points the sender at it (``GARDIEN_SMTP_HOST=127.0.0.1``, ``GARDIEN_SMTP_PORT``)
and a development page reads it back with :func:`read_sink`. Each message is written as
``<UTC timestamp>-<n>.eml`` (the bytes received, preceded by ``X-Sink-Mail-From`` and
``X-Sink-Rcpt-To`` headers giving the SMTP envelope); a file appears whole or not at all
(written under another name, then renamed). It binds to loopback only: it accepts mail from
anyone who can reach it and relays nothing.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from gardien.domain.clock import Clock, SystemClock

SUFFIX = ".eml"
MAIL_FROM_HEADER = "X-Sink-Mail-From"
RCPT_TO_HEADER = "X-Sink-Rcpt-To"


@dataclass(frozen=True)
class SinkMessage:
    """One message of the sink, parsed for display.

    ``name`` is the file's name (``<timestamp>-<n>.eml``); ``headers`` every header in order,
    repeated ones repeated; ``recipients`` the envelope's; ``text`` and ``html`` the bodies.
    """

    name: str
    headers: list[tuple[str, str]]
    subject: str
    sender: str
    recipients: list[str]
    text: str | None
    html: str | None

    def header(self, name: str) -> list[str]:
        """Every value of header ``name`` (any case), in order."""
        return [value for key, value in self.headers if key.lower() == name.lower()]


class SinkHandler:
    """aiosmtpd handler: each message received becomes one file in ``directory``."""

    def __init__(self, directory: Path, *, clock: Clock | None = None) -> None:
        self.directory = directory
        self._clock = clock or SystemClock()
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8")
        recipients = ", ".join(envelope.rcpt_tos)
        preamble = (
            f"{MAIL_FROM_HEADER}: {envelope.mail_from or ''}\r\n{RCPT_TO_HEADER}: {recipients}\r\n"
        ).encode()
        self.store(preamble + content)
        return "250 2.0.0 Stored in the development sink"

    def store(self, data: bytes) -> Path:
        """Write ``data`` as the next ``<timestamp>-<n>.eml``; the file's path."""
        with self._lock:
            number = next(self._numbers)
        stamp = self._clock.now().strftime("%Y%m%dT%H%M%S%fZ")
        target = self.directory / f"{stamp}-{number:06d}{SUFFIX}"
        partial = target.with_suffix(".part")
        # Fictional people in development, real addresses all the same: readable by us only.
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        partial.replace(target)
        return target


class Sink:
    """A running sink: its port and directory; :meth:`stop` ends it."""

    def __init__(self, controller: Controller, directory: Path, port: int) -> None:
        self._controller = controller
        self.directory = directory
        self.port = port

    def stop(self) -> None:
        """Stop listening; files already written stay."""
        self._controller.stop()


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def start_sink(
    directory: Path,
    *,
    host: str = "127.0.0.1",
    port: int,
    clock: Clock | None = None,
) -> Sink:
    """Start the sink on ``host:port`` (loopback only) in a background thread; it is serving
    when this returns."""
    if not _loopback(host):
        raise ValueError(f"the development mail sink listens on loopback only, not {host!r}")
    directory.mkdir(parents=True, exist_ok=True)
    handler = SinkHandler(directory, clock=clock)
    controller = Controller(handler, hostname=host, port=port)
    controller.start()
    return Sink(controller, directory, port)


def read_sink(directory: Path) -> list[SinkMessage]:
    """Every message stored in ``directory``, newest first; an absent directory has none."""
    if not directory.is_dir():
        return []
    files = sorted(directory.glob(f"*{SUFFIX}"), key=lambda path: path.name, reverse=True)
    return [_parse(path) for path in files]


def _parse(path: Path) -> SinkMessage:
    parsed: Any = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    headers = [(name, str(value)) for name, value in parsed.items()]
    envelope_to = parsed.get(RCPT_TO_HEADER)
    recipients = (
        [r.strip() for r in str(envelope_to).split(",") if r.strip()]
        if envelope_to
        else [str(value) for value in parsed.get_all("To", [])]
    )
    return SinkMessage(
        name=path.name,
        headers=headers,
        subject=str(parsed.get("Subject", "")),
        sender=str(parsed.get(MAIL_FROM_HEADER) or parsed.get("From", "")),
        recipients=recipients,
        text=_body(parsed, "plain"),
        html=_body(parsed, "html"),
    )


def _body(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    content = part.get_content()
    return content if isinstance(content, str) else None

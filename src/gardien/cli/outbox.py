"""``gardien outbox``: deliver the queued e-mails; run the development mail sink."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import typer

from gardien.cli.context import container, emit
from gardien.errors import ConfigurationError

if TYPE_CHECKING:
    from gardien.services.outbox_sender import SendReport

# gardien.services.outbox_sender's DEFAULT_LIMIT, named here so that listing the commands does
# not import the sender (tests/unit/test_cli_start.py checks that they agree).
DEFAULT_LIMIT = 100

app = typer.Typer(
    help="The outbox: e-mails queued by gardien, delivered over SMTP.", no_args_is_help=True
)


class StopFlag:
    """Set by a signal handler, polled by the loop: no lock is taken inside the handler."""

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set

    def wait(self, seconds: float | None = None) -> None:
        """Sleep ``seconds`` (None: for ever) or until the flag is set, whichever comes first."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while not self._set:
            left = POLL_SECONDS if deadline is None else deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, POLL_SECONDS))


POLL_SECONDS = 0.2


@contextmanager
def _interruptible() -> Iterator[StopFlag]:
    """A flag set by the first Ctrl-C (SIGINT) or SIGTERM; a second Ctrl-C interrupts at once.

    Setting a flag, rather than raising KeyboardInterrupt wherever the program happens to be,
    lets a run finish the message in hand and mark it sent: an interrupt between the server's
    acceptance and that mark is exactly how a message could go twice.
    """
    stop = StopFlag()

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield stop  # only the main thread may install signal handlers
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@app.command("send")
def send_command(
    ctx: typer.Context,
    limit: int = typer.Option(
        DEFAULT_LIMIT, "--limit", min=1, max=10_000, help="At most this many messages per run."
    ),
    loop: bool = typer.Option(
        False, "--loop", help="Keep sending, every --interval seconds, until interrupted (Ctrl-C)."
    ),
    interval: float = typer.Option(
        30.0, "--interval", min=0.1, help="With --loop: seconds between runs that found nothing."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print each run's counts as JSON."),
) -> None:
    """Send the due e-mails of the outbox over SMTP (GARDIEN_SMTP_*), retrying with backoff."""
    from gardien.services.outbox_sender import SendReport, send_due

    built = container(ctx)
    engine = built.migrated_engine()
    total = SendReport()
    with _interruptible() as stop:
        while not stop.is_set():
            report = send_due(
                engine,
                settings=built.settings,
                clock=built.clock,
                limit=limit,
                should_stop=stop.is_set,
            )
            total.sent += report.sent
            total.retry_later += report.retry_later
            total.given_up += report.given_up
            if not loop:
                _show(report, as_json)
                return
            if report.claimed:
                _show(report, as_json)
            # A full batch that all went through means more may be due: go on at once.
            if report.sent < limit:
                stop.wait(interval)
    if as_json:
        emit(json.dumps({**total.as_dict(), "stopped": True}))
    else:
        emit(f"stopped; in all: {total.summary().removeprefix('outbox: ')}")


def _show(report: SendReport, as_json: bool) -> None:
    emit(json.dumps(report.as_dict()) if as_json else report.summary())


@app.command("sink")
def sink_command(
    ctx: typer.Context,
    directory: Path | None = typer.Option(
        None, "--dir", help="Where to store the messages (default: GARDIEN_MAIL_SINK_DIR)."
    ),
    port: int | None = typer.Option(
        None, "--port", min=1, max=65535, help="Port on 127.0.0.1 (default: GARDIEN_SMTP_PORT)."
    ),
) -> None:
    """Development only: an SMTP server on loopback that keeps every message as a .eml file."""
    from gardien.mail.sink import start_sink
    from gardien.settings import Environment

    settings = container(ctx).settings
    if settings.environment is Environment.PRODUCTION:
        raise ConfigurationError("the mail sink is for development: not in production")
    target = directory or settings.mail_sink_dir
    if target is None:
        raise ConfigurationError("give --dir or set GARDIEN_MAIL_SINK_DIR")
    sink = start_sink(target, port=port or settings.smtp_port)
    emit(f"mail sink on 127.0.0.1:{sink.port}, storing in {target}; Ctrl-C stops it")
    try:
        with _interruptible() as stop:
            stop.wait()
    finally:
        sink.stop()
    emit("mail sink stopped")

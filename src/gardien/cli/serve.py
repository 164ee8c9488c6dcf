"""``gardien serve``: the web app under uvicorn (with ``--dev-mail``, a mail sink and sender)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import typer
import uvicorn

from gardien.bootstrap import Container
from gardien.cli.context import container
from gardien.errors import ConfigurationError, GardienError
from gardien.mail.sink import start_sink
from gardien.services.outbox_sender import send_due
from gardien.settings import Environment
from gardien.web.app import create_app

log = logging.getLogger(__name__)
SEND_EVERY_SECONDS = 2.0


def serve_command(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    dev_mail: bool = typer.Option(
        False,
        "--dev-mail",
        help="Development: run a local SMTP sink (GARDIEN_MAIL_SINK_DIR, GARDIEN_SMTP_PORT) and"
        " send the outbox to it every 2 s; read it at /dev/mail.",
    ),
) -> None:
    """Serve the website, the portal and the API (honours GARDIEN_NOW for the clock)."""
    app = container(ctx)
    app.migrated_engine()
    with _dev_mail(app) if dev_mail else _nothing():
        # No access log: it would record client IP addresses, which are personal data.
        uvicorn.run(create_app(app), host=host, port=port, log_level="info", access_log=False)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


@contextmanager
def _dev_mail(app: Container) -> Iterator[None]:
    settings = app.settings
    if settings.environment is not Environment.DEVELOPMENT:
        raise ConfigurationError("--dev-mail is for development (GARDIEN_ENVIRONMENT)")
    if settings.mail_sink_dir is None:
        raise ConfigurationError("--dev-mail needs GARDIEN_MAIL_SINK_DIR")
    sink = start_sink(settings.mail_sink_dir, host=settings.smtp_host, port=settings.smtp_port)
    stop = threading.Event()

    def sender() -> None:
        while not stop.wait(SEND_EVERY_SECONDS):
            try:
                send_due(app.engine, settings=settings, clock=app.clock)
            except GardienError as error:  # a configuration problem: say it, keep serving
                log.warning("dev mail sender: %s", error)

    thread = threading.Thread(target=sender, name="dev-mail-sender", daemon=True)
    thread.start()
    log.info("dev mail: sink on %s:%d, messages at /dev/mail", settings.smtp_host, sink.port)
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
        sink.stop()

"""``gardien serve``: the web app under uvicorn (with ``--dev-mail``, a mail sink and sender).

Outside production the server listens on loopback only and says so: a server reachable from the
network with ``GARDIEN_ENVIRONMENT`` forgotten would run with development settings
(docs/configuration.md). ``--workers N`` starts N uvicorn worker processes, each building its
own app from the environment (:func:`gardien.web.app.app_from_environment`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from gardien.cli.context import GlobalOptions, container
from gardien.errors import ConfigurationError, GardienError

if TYPE_CHECKING:
    from gardien.bootstrap import Container
    from gardien.settings import Settings

log = logging.getLogger(__name__)
SEND_EVERY_SECONDS = 2.0
APP_FACTORY = "gardien.web.app:app_from_environment"
MAX_WORKERS = 64


def serve_command(
    ctx: typer.Context,
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        help="Address to listen on; outside production (GARDIEN_ENVIRONMENT), loopback only.",
    ),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        max=MAX_WORKERS,
        help="Worker processes; each builds its app from the environment. On SQLite they"
        " share one writer at a time.",
    ),
    dev_mail: bool = typer.Option(
        False,
        "--dev-mail",
        help="Development: run a local SMTP sink (GARDIEN_MAIL_SINK_DIR, GARDIEN_SMTP_PORT) and"
        " send the outbox to it every 2 s; read it at /dev/mail.",
    ),
) -> None:
    """Serve the website, the portal and the API (honours GARDIEN_NOW for the clock)."""
    import uvicorn

    from gardien.readiness import is_loopback
    from gardien.services.erasure_replay import check_replayed
    from gardien.settings import Environment
    from gardien.web.app import create_app

    app = container(ctx)
    settings = app.settings
    production = settings.environment is Environment.PRODUCTION
    if not production and not is_loopback(host):
        raise ConfigurationError(
            f"GARDIEN_ENVIRONMENT is {settings.environment.value}: gardien serve listens on"
            f" loopback only (127.0.0.1, ::1, localhost), not on {host!r}; a server others can"
            " reach needs GARDIEN_ENVIRONMENT=production"
        )
    if dev_mail:
        _check_dev_mail(settings)
        if workers > 1:
            raise ConfigurationError("--dev-mail serves with one worker: leave out --workers")
    engine = app.migrated_engine()
    check_replayed(engine, app.ledger)  # a restored database lacking erasures is not served
    if not production:
        typer.echo(
            f"{settings.environment.value} mode: listening on {host} only; not for production",
            err=True,
        )
    if workers > 1 and engine.dialect.name == "sqlite":
        typer.echo(
            f"{workers} workers share one SQLite file: one writer at a time, so a write waits"
            " for the one in progress (reads do not); PostgreSQL lets writers run together",
            err=True,
        )
    # No access log: it would record client IP addresses, which are personal data.
    if workers > 1:
        # Each worker bootstraps from the environment: hand it the global options, and leave
        # the database to the workers (a pooled SQLite connection here would only hold a lock).
        app.close()
        options = ctx.find_root().obj
        assert isinstance(options, GlobalOptions)
        with _exported(options):
            uvicorn.run(
                APP_FACTORY,
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="info",
                access_log=False,
            )
        return
    with _dev_mail(app) if dev_mail else _nothing():
        uvicorn.run(
            create_app(app, dev_mail=dev_mail),
            host=host,
            port=port,
            log_level="info",
            access_log=False,
        )


@contextmanager
def _exported(options: GlobalOptions) -> Iterator[None]:
    """``--policy`` and ``--database-url`` as environment variables, for the worker processes."""
    values = {
        "GARDIEN_DATABASE_URL": options.database_url,
        "GARDIEN_POLICY": str(options.policy) if options.policy else None,
    }
    saved = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if value is not None:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _check_dev_mail(settings: Settings) -> None:
    from gardien.settings import Environment

    if settings.environment is not Environment.DEVELOPMENT:
        raise ConfigurationError("--dev-mail is for development (GARDIEN_ENVIRONMENT)")
    if settings.mail_sink_dir is None:
        raise ConfigurationError("--dev-mail needs GARDIEN_MAIL_SINK_DIR")


@contextmanager
def _dev_mail(app: Container) -> Iterator[None]:
    from gardien.mail.sink import start_sink
    from gardien.services.outbox_sender import send_due

    settings = app.settings
    assert settings.mail_sink_dir is not None  # _check_dev_mail said so
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

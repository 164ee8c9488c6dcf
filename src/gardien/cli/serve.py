"""``gardien serve``: the web app under uvicorn (with ``--dev-mail``, a mail sink and sender).

Outside production the server listens on loopback only and says so: a server reachable from the
network with ``GARDIEN_ENVIRONMENT`` forgotten would run with development settings
(docs/configuration.md). ``--workers N`` starts N uvicorn worker processes, each building its
own app from the environment (:func:`gardien.web.app.app_from_environment`); their request
metrics are added up through ``PROMETHEUS_MULTIPROC_DIR`` (:func:`_metrics_dir`). uvicorn logs
through gardien's configuration (:mod:`gardien.logging_config`): JSON lines in production.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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
# prometheus_client's multiprocess mode (web/metrics.py reads the same name).
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


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

    from gardien.logging_config import logging_dict
    from gardien.readiness import is_loopback
    from gardien.services.erasure_replay import check_replayed
    from gardien.settings import Environment

    app = container(ctx)
    settings = app.settings
    log_config = logging_dict(settings.logs_as, settings.log_level)
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
    # Said through the logs: in production every line the server writes is one JSON object.
    if not production:
        log.warning(
            "%s mode: listening on %s only; not for production", settings.environment.value, host
        )
    if workers > 1 and engine.dialect.name == "sqlite":
        log.warning(
            "%d workers share one SQLite file: one writer at a time, so a write waits"
            " for the one in progress (reads do not); PostgreSQL lets writers run together",
            workers,
        )
    # No access log: it would record client IP addresses, which are personal data.
    if workers > 1:
        # Each worker bootstraps from the environment: hand it the global options, and leave
        # the database to the workers (a pooled SQLite connection here would only hold a lock).
        app.close()
        options = ctx.find_root().obj
        assert isinstance(options, GlobalOptions)
        with _exported(options), _metrics_dir(workers=workers):
            uvicorn.run(
                APP_FACTORY,
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_config=log_config,
                log_level=settings.log_level.value.lower(),
                access_log=False,
            )
        return
    with _metrics_dir(workers=1), _dev_mail(app) if dev_mail else _nothing():
        # Imported once the metrics directory is known: prometheus_client reads it on import.
        from gardien.web.app import create_app

        uvicorn.run(
            create_app(app, dev_mail=dev_mail),
            host=host,
            port=port,
            log_config=log_config,
            log_level=settings.log_level.value.lower(),
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


@contextmanager
def _metrics_dir(*, workers: int) -> Iterator[None]:
    """Where the workers' request metrics are added up (prometheus_client's multiprocess mode):
    ``PROMETHEUS_MULTIPROC_DIR`` if the operator set it (emptied first: the files of a previous
    run would be counted again), else, for several workers, a temporary directory removed when
    the server stops. One worker without it keeps its metrics in memory.

    Set before prometheus_client is imported (web/metrics.py): it reads the variable then.
    """
    given = os.environ.get(MULTIPROCESS_DIR)
    if not given and workers == 1:
        yield
        return
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        yield
        return
    directory = Path(tempfile.mkdtemp(prefix="gardien-metrics-"))
    os.environ[MULTIPROCESS_DIR] = str(directory)
    try:
        yield
    finally:
        os.environ.pop(MULTIPROCESS_DIR, None)
        shutil.rmtree(directory, ignore_errors=True)


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

"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from gardien.bootstrap import Container, bootstrap
from gardien.errors import ConfigurationError
from gardien.settings import Environment
from gardien.store.checkpoints import Checkpointer
from gardien.web import (
    account_pages,
    admin_actions,
    admin_contacts,
    admin_pages,
    api,
    console_history,
    console_messages,
    console_pages,
    console_purges,
    console_rectify,
    console_requests,
    contact_pages,
    devmail,
    export_link_pages,
    health,
    newsletter_pages,
    pages,
    portal_pages,
    request_pages,
    second_factor_pages,
    sponsor_pages,
    xapi,
    xapi_documents,
)
from gardien.web.auth import page_extras
from gardien.web.csrf_seed import CsrfSeedMiddleware
from gardien.web.handlers import install_handlers
from gardien.web.metrics import Metrics, RequestMetricsMiddleware
from gardien.web.metrics import router as metrics_router
from gardien.web.ratelimit import Limits
from gardien.web.security_headers import SecurityHeadersMiddleware
from gardien.web.templating import Pages
from gardien.web.write_turns import WriteTurnsMiddleware
from gardien.web.xapi_version import XapiVersionMiddleware


def create_app(container: Container, *, dev_mail: bool = False) -> FastAPI:
    """The web app for ``container``, which holds all state (workers stay stateless).

    ``dev_mail`` mounts the development mailbox (``/dev/mail``, ``gardien serve --dev-mail``);
    it is refused outside development. In production the API's documentation and schema are
    not served: they map every operation for whoever asks.
    """
    production = container.settings.environment is Environment.PRODUCTION
    # The web's own engine: a writer waits for a lock at most its budget, then 503.
    web = container.for_web()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The web's own SQLite engine leaves WAL checkpoints to a thread (store/checkpoints.py).
        own_sqlite = web is not container and web.engine.dialect.name == "sqlite"
        checkpoints = Checkpointer(web.engine).start() if own_sqlite else None
        yield
        if checkpoints is not None:
            await run_in_threadpool(checkpoints.stop)
        if web is not container:  # an engine of the web's own: its connections end with it
            await run_in_threadpool(web.close)

    app = FastAPI(
        title="gardien",
        version="0.1.0",
        docs_url=None if production else "/api/docs",
        redoc_url=None,
        openapi_url=None if production else "/openapi.json",
        lifespan=lifespan,
    )
    app.state.container = web
    app.state.pages = Pages(extra=page_extras)
    app.state.limits = Limits(web)
    app.state.public_pages = {}  # web/pages.py: the public pages, rendered once
    app.state.metrics = Metrics(web)  # web/metrics.py: the registry /metrics answers from
    app.include_router(health.router)
    app.include_router(metrics_router)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(xapi.router)
    app.include_router(xapi_documents.router)
    app.include_router(newsletter_pages.router)
    app.include_router(contact_pages.router)
    app.include_router(account_pages.router)
    app.include_router(second_factor_pages.router)
    app.include_router(portal_pages.router)
    app.include_router(request_pages.router)
    app.include_router(console_pages.router)
    app.include_router(console_history.router)
    app.include_router(console_messages.router)
    app.include_router(console_purges.router)
    app.include_router(console_requests.router)
    app.include_router(console_rectify.router)
    app.include_router(export_link_pages.router)
    app.include_router(sponsor_pages.router)
    app.include_router(admin_pages.router)
    app.include_router(admin_actions.router)
    app.include_router(admin_contacts.router)
    # Innermost first: writers take turns (web/write_turns.py) inside the security headers.
    app.add_middleware(WriteTurnsMiddleware, wait_seconds=web.settings.write_wait_seconds)
    app.add_middleware(XapiVersionMiddleware)
    app.add_middleware(CsrfSeedMiddleware, environment=container.settings.environment)
    app.add_middleware(SecurityHeadersMiddleware, environment=container.settings.environment)
    # Outermost: every answer is counted and logged, the middlewares' own (a busy 503) too.
    app.add_middleware(
        RequestMetricsMiddleware, metrics=app.state.metrics, routes=app.router.routes
    )
    install_handlers(app)
    if dev_mail:
        if container.settings.environment is not Environment.DEVELOPMENT:
            raise ConfigurationError("--dev-mail is for development (GARDIEN_ENVIRONMENT)")
        app.include_router(devmail.router)
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker of ``gardien serve --workers N``, bootstrapped from the environment.

    An import string for uvicorn (``gardien.web.app:app_from_environment``, ``factory=True``):
    every worker process builds its own container; none of them has ``/dev/mail``.
    """
    from gardien.services.erasure_replay import check_replayed

    container = bootstrap()
    try:
        # A restored database that lacks erasures of the ledger is not served (docs/backups.md).
        check_replayed(container.migrated_engine(), container.ledger)
    finally:
        # The check's connections end here, served or not: the app serves through an engine
        # of its own (``Container.for_web``), closed when the worker stops.
        container.close()
    return create_app(container)

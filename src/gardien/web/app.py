"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from gardien.bootstrap import Container
from gardien.settings import Environment
from gardien.web import api, contact_pages, devmail, newsletter_pages, pages, xapi
from gardien.web.ratelimit import FormLimits
from gardien.web.templating import Pages


def create_app(container: Container) -> FastAPI:
    """The web app for ``container``, which holds all state (workers stay stateless)."""
    app = FastAPI(title="gardien", version="0.1.0", docs_url="/api/docs", redoc_url=None)
    app.state.container = container
    app.state.pages = Pages()
    app.state.limits = FormLimits()
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(xapi.router)
    app.include_router(newsletter_pages.router)
    app.include_router(contact_pages.router)
    if container.settings.environment is Environment.DEVELOPMENT:
        app.include_router(devmail.router)
    return app

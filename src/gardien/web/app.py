"""The FastAPI application factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from gardien.bootstrap import Container
from gardien.web import pages

TEMPLATES = Path(__file__).with_name("templates")


def create_app(container: Container) -> FastAPI:
    """The web app for ``container``, which holds all state (workers stay stateless)."""
    app = FastAPI(title="gardien", version="0.1.0", docs_url="/api/docs", redoc_url=None)
    app.state.container = container
    app.state.templates = Jinja2Templates(directory=TEMPLATES)
    app.include_router(pages.router)
    return app

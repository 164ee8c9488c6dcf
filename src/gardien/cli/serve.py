"""``gardien serve``: the web app under uvicorn."""

from __future__ import annotations

import typer
import uvicorn

from gardien.cli.context import container
from gardien.web.app import create_app


def serve_command(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
) -> None:
    """Serve the website, the portal and the API (honours GARDIEN_NOW for the clock)."""
    app = container(ctx)
    app.migrated_engine()
    # No access log: it would record client IP addresses, which are personal data.
    uvicorn.run(create_app(app), host=host, port=port, log_level="info", access_log=False)

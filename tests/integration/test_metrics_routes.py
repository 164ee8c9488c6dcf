"""The route a request is counted under: the router's, or, for an answer given before routing
(a writer told the server is busy), the one its path matches; never the path itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from gardien.bootstrap import bootstrap
from gardien.settings import Settings
from gardien.web.app import create_app
from gardien.web.metrics import UNMATCHED, route_template


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", "/en/console/requests/DSR-7KQ2M9XW4P", "/en/console/requests/{reference}"),
        ("POST", "/requests/verify/eyJhbGciOi.signed", "/requests/verify/{token}"),
        ("POST", "/contact", "/contact"),
        ("GET", "/no/such/page", UNMATCHED),
    ],
)
def test_an_answer_before_routing_is_counted_under_its_template(
    tmp_path: Path, method: str, path: str, template: str
) -> None:
    container = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'routes.sqlite3'}"))
    app = create_app(container)
    try:
        scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
        assert route_template(scope, app.router.routes) == template
        assert route_template(scope) == UNMATCHED  # without the routes: nothing to match
    finally:
        app.state.container.close()
        container.close()

"""The rules of gardien.web.security_headers, one by one (their effect on every answer of a real
server is shown in tests/e2e/test_security_headers.py)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from gardien.web.security_headers import (
    CONTENT_SECURITY_POLICY,
    cache_control,
    carries_session,
    docs_policy,
    fixed_headers,
)
from gardien.web.stylesheet import LONG


def _directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_the_policy_allows_no_script_no_inline_style_no_framing() -> None:
    directives = _directives(CONTENT_SECURITY_POLICY)
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'none'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert directives["base-uri"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_hsts_only_in_production() -> None:
    assert "Strict-Transport-Security" not in fixed_headers(production=False)
    production = fixed_headers(production=True)
    assert production["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert {k: v for k, v in production.items() if k != "Strict-Transport-Security"} == (
        fixed_headers(production=False)
    )


def _cache(**changes: object) -> str:
    answer: dict[str, object] = {
        "method": "GET",
        "path": "/",
        "status": 200,
        "signed_in": False,
        "sets_cookie": False,
        "given": None,
    }
    answer.update(changes)
    return cache_control(**answer)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["/", "/en", "/confidentialite", "/privacy"])
def test_public_pages_are_kept_five_minutes_for_visitors(path: str) -> None:
    assert _cache(path=path) == "public, max-age=300"
    assert _cache(path=path, method="HEAD") == "public, max-age=300"


@pytest.mark.parametrize(
    "changes",
    [
        {"signed_in": True},  # the page names its reader
        {"sets_cookie": True},  # a shared cache would hand the cookie to the next visitor
        {"status": 404},
        {"status": 303},
        {"method": "POST"},
        {"path": "/my-data"},
        {"path": "/requests/status/a-token"},
        {"path": "/newsletter/confirm/a-token"},
        {"path": "/xapi/statements"},
        {"path": "/health"},
        {"path": "/contact"},
        # A handler cannot make a private page cacheable.
        {"path": "/console", "given": "public, max-age=600"},
    ],
)
def test_everything_else_is_never_stored(changes: dict[str, object]) -> None:
    assert _cache(**changes) == "no-store"


def test_the_stylesheet_keeps_what_its_route_chose() -> None:
    assert _cache(path="/static/gardien.css", given=LONG) == LONG
    assert _cache(path="/static/gardien.css") == "public, max-age=300"
    assert _cache(path="/static/gardien.css", sets_cookie=True) == "no-store"


@pytest.mark.parametrize(
    ("cookie", "signed_in"),
    [
        (b"gardien_session=abc", True),
        (b"gardien_csrf=x; __Host-gardien_session=abc", True),
        (b"gardien_csrf=x", False),
        (b"gardien_sessionx=abc; other=gardien_session", False),
        (None, False),
    ],
)
def test_a_session_cookie_live_or_not_counts_as_signed_in(
    cookie: bytes | None, signed_in: bool
) -> None:
    headers = [(b"host", b"gardien.example.org")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    assert carries_session({"type": "http", "headers": headers}) is signed_in


def test_the_docs_page_allows_its_own_inline_script_by_digest_and_no_other() -> None:
    script = b"\nconst ui = SwaggerUIBundle({url: '/openapi.json'})\n"
    html = b'<html><script src="https://cdn.jsdelivr.net/x.js"></script><script>%s</script>' % (
        script
    )
    digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
    directives = _directives(docs_policy(html))
    assert directives["script-src"] == f"https://cdn.jsdelivr.net 'sha256-{digest}'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in directives["script-src"]

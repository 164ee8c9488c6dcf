"""Security headers on every answer, over real HTTP (issue 15, point 2; docs/security-headers.md).

Every route of the app is walked as a visitor and as each signed-in role, with every method it
allows: the answers (pages, JSON, xAPI, refusals, redirects, downloads) all carry the CSP, the
anti-framing and anti-sniffing headers, and ``no-store`` unless the route is one of the few
public pages. A route missing from :data:`CACHEABLE` and :data:`NO_STORE` fails the test, so a
new page cannot ship unclassified. Production answers add HSTS; development answers do not.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, insert, select

from gardien.bootstrap import bootstrap
from gardien.services.requests import record_request
from gardien.services.website.tokens import Purpose, make_token
from gardien.settings import DEFAULT_SECRET, Environment, Settings
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import (
    learner,
    newsletter_subscription,
    outbox_message,
    sponsor,
    sponsor_contact,
)
from gardien.web.app import create_app
from tests.support.routes import every_route, unprefixed
from tests.support.server import running_server
from tests.support.transmission_samples import load_contracts
from tests.support.web import WebClient, csrf_of, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
ROLES = ("anonymous", "learner", "sponsor_contact", "dpo", "admin")
LEARNER = "chloe.plan@example.org"
CONTACT = "rh.menuiserie@example.com"
DPO, ADMIN = "dpo.entetes@example.org", "admin.entetes@example.org"
SUBSCRIBER = "lectrice.lettre@example.org"
VISITOR = "visiteur.entetes@example.org"

# Written out here rather than imported: the test states the policy it expects.
CSP = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
EVERY_ANSWER = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "x-frame-options": "DENY",
}
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics")
HSTS = "max-age=63072000; includeSubDomains"
DOCS_UI = ("/api/docs", "/docs/oauth2-redirect")
PUBLIC_BRIEFLY = "public, max-age=300"

# Every route (method, path without the /en prefix), and why caches may keep its answer...
CACHEABLE: dict[tuple[str, str], str] = {
    ("GET", "/"): "the home page: the same for every visitor not signed in",
    ("GET", "/confidentialite"): "the notice",
    ("GET", "/privacy"): "the notice",
    ("GET", "/static/gardien.css"): "the stylesheet",
}
_FORM = "a form: its CSRF token belongs to this visitor"
_LINK = "a signed link: the token is the address"
_SIGNED_IN = "a signed-in page"
_MACHINE = "a machine API: every answer is about someone"
# ... or why they must not.
NO_STORE: dict[tuple[str, str], str] = {
    ("GET", "/health"): "liveness: a cached answer would hide an outage",
    ("GET", "/ready"): "readiness: a cached answer would hide an outage",
    ("GET", "/metrics"): "figures of this instant, read at each scrape",
    ("GET", "/openapi.json"): "the API's description, which changes with a deployment",
    ("GET", "/api/docs"): "the API's description (development)",
    ("GET", "/docs/oauth2-redirect"): "the API's description (development)",
    ("POST", "/api/transmissions"): _MACHINE,
    ("GET", "/xapi/about"): _MACHINE,
    ("GET", "/xapi/statements"): _MACHINE,
    ("POST", "/xapi/statements"): _MACHINE,
    ("PUT", "/xapi/statements"): _MACHINE,
    **{
        (method, f"/xapi/{resource}"): _MACHINE
        for resource in ("activities/state", "activities/profile", "agents/profile")
        for method in ("GET", "PUT", "POST", "DELETE")
    },
    ("GET", "/xapi/activities"): _MACHINE,
    ("GET", "/xapi/agents"): _MACHINE,
    ("GET", "/newsletter"): _FORM,
    ("POST", "/newsletter"): _FORM,
    ("GET", "/newsletter/confirm/{token}"): _LINK,
    ("POST", "/newsletter/confirm/{token}"): _LINK,
    ("GET", "/newsletter/unsubscribe/{token}"): _LINK,
    ("POST", "/newsletter/unsubscribe/{token}"): _LINK,
    ("GET", "/contact"): _FORM,
    ("POST", "/contact"): _FORM,
    ("GET", "/account"): "routes a session to its home",
    ("GET", "/account/sign-in"): _FORM,
    ("POST", "/account/sign-in"): _FORM,
    ("GET", "/account/second-factor"): "half signed in",
    ("POST", "/account/second-factor"): "half signed in",
    ("GET", "/account/second-factor/recovery"): "half signed in",
    ("POST", "/account/second-factor/recovery"): "half signed in",
    ("GET", "/account/recovery-codes"): _SIGNED_IN,
    ("POST", "/account/recovery-codes"): "shows recovery codes, once",
    ("POST", "/account/sign-out"): _SIGNED_IN,
    ("GET", "/account/reset"): _FORM,
    ("POST", "/account/reset"): _FORM,
    ("GET", "/account/activate/{token}"): _LINK,
    ("POST", "/account/activate/{token}"): _LINK,
    ("GET", "/account/reset/{token}"): _LINK,
    ("POST", "/account/reset/{token}"): _LINK,
    ("GET", "/my-data"): _SIGNED_IN,
    ("POST", "/my-data/export"): "a download of personal data",
    ("POST", "/my-data/rectify"): _SIGNED_IN,
    ("POST", "/my-data/object"): _SIGNED_IN,
    ("POST", "/my-data/erase"): _SIGNED_IN,
    ("GET", "/requests"): _FORM,
    ("POST", "/requests"): _FORM,
    ("GET", "/requests/verify/{token}"): _LINK,
    ("POST", "/requests/verify/{token}"): _LINK,
    ("GET", "/requests/status/{token}"): _LINK,
    ("GET", "/requests/export/{token}"): _LINK,
    ("POST", "/requests/export/{token}"): "a download of personal data",
    ("GET", "/console"): _SIGNED_IN,
    ("GET", "/console/messages"): _SIGNED_IN,
    ("GET", "/console/messages/{message_id}"): _SIGNED_IN,
    ("POST", "/console/messages/{message_id}/reply"): _SIGNED_IN,
    ("POST", "/console/messages/{message_id}/answered"): _SIGNED_IN,
    ("GET", "/console/history"): _SIGNED_IN,
    ("POST", "/console/history"): _SIGNED_IN,
    ("GET", "/console/requests/{reference}"): _SIGNED_IN,
    ("POST", "/console/requests/{reference}/extend"): _SIGNED_IN,
    ("POST", "/console/requests/{reference}/complete"): _SIGNED_IN,
    ("POST", "/console/requests/{reference}/refuse"): _SIGNED_IN,
    ("POST", "/console/requests/{reference}/erase"): _SIGNED_IN,
    ("POST", "/console/requests/{reference}/object"): _SIGNED_IN,
    ("GET", "/console/purges"): _SIGNED_IN,
    ("POST", "/console/purges"): _SIGNED_IN,
    ("GET", "/console/purges/preview"): _SIGNED_IN,
    ("GET", "/console/purges/runs/{run}"): _SIGNED_IN,
    ("GET", "/console/requests/{reference}/erase"): _SIGNED_IN,
    ("GET", "/console/requests/{reference}/send-export"): _SIGNED_IN,
    ("POST", "/console/requests/{reference}/send-export"): _SIGNED_IN,
    ("GET", "/console/requests/{reference}/rectify"): _SIGNED_IN,
    ("POST", "/console/requests/{reference}/rectify"): _SIGNED_IN,
    ("POST", "/console/requests/{reference}/rectify/confirm"): _SIGNED_IN,
    ("GET", "/sponsor"): _SIGNED_IN,
    ("GET", "/sponsor/contracts/{reference}"): _SIGNED_IN,
    ("GET", "/sponsor/csv/{reference}"): _SIGNED_IN,
    ("GET", "/admin/accounts"): _SIGNED_IN,
    ("POST", "/admin/accounts/invite"): _SIGNED_IN,
    ("POST", "/admin/accounts/{account_id}/reset-second-factor"): _SIGNED_IN,
    ("GET", "/admin/accounts/invite-contact"): _SIGNED_IN,
    ("POST", "/admin/accounts/invite-contact"): _SIGNED_IN,
    **{
        (method, f"/admin/accounts/{{account_id}}/{action}"): _SIGNED_IN
        for method in ("GET", "POST")
        for action in ("deactivate", "reactivate", "resend", "role")
    },
    # /dev/mail exists only under `gardien serve --dev-mail` (tests/e2e/test_dev_mail.py).
}


def _app(settings: Settings) -> FastAPI:
    return create_app(bootstrap(settings, database_url="sqlite://"))


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route of ``app``, as served (with its /en twin)."""
    return sorted((m, path) for path, methods in every_route(app.routes) for m in methods)


def test_every_route_is_classified() -> None:
    found = {(m, unprefixed(p)) for m, p in _routes(_app(Settings()))}
    assert not set(CACHEABLE) & set(NO_STORE)
    unknown = found - set(CACHEABLE) - set(NO_STORE)
    assert not unknown, f"routes neither cacheable nor no-store: {sorted(unknown)}"
    assert set(CACHEABLE) | set(NO_STORE) <= found, "the tables name routes the app lacks"


def problems(answer: httpx.Response, *, cacheable: bool, production: bool) -> list[str]:
    """What is wrong with the security headers of ``answer`` (empty when nothing is)."""
    where = f"{answer.request.method} {answer.request.url.raw_path.decode()} ({answer.status_code})"
    found = []
    headers = answer.headers
    policy = headers.get("content-security-policy", "")
    if answer.request.url.path in DOCS_UI:
        # Swagger UI (development only): its own policy, tested below; still no framing, no
        # inline script but its own.
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        if directives.get("frame-ancestors") != "'none'" or "unsafe" in directives["script-src"]:
            found.append(f"{where}: CSP {policy!r}")
    elif policy != CSP:
        found.append(f"{where}: CSP {policy!r}")
    for name, value in EVERY_ANSWER.items():
        if headers.get(name) != value:
            found.append(f"{where}: {name} {headers.get(name)!r}")
    permissions = headers.get("permissions-policy", "")
    found += [
        f"{where}: Permissions-Policy lets {feature} through"
        for feature in DENIED_FEATURES
        if f"{feature}=()" not in permissions
    ]
    if headers.get("strict-transport-security") != (HSTS if production else None):
        found.append(f"{where}: HSTS {headers.get('strict-transport-security')!r}")
    expected = PUBLIC_BRIEFLY if cacheable else "no-store"
    if headers.get("cache-control") != expected:
        found.append(f"{where}: Cache-Control {headers.get('cache-control')!r}, not {expected!r}")
    return found


# -- one server, one account per role -----------------------------------------------------------


def _learner_id(engine: Engine, email: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(learner.c.id).where(learner.c.email == email)).scalar_one()
        )


def _contact(engine: Engine, sponsor_ref: str, email: str) -> int:
    with engine.begin() as connection:
        sponsor_id = connection.execute(
            select(sponsor.c.id).where(sponsor.c.ref == sponsor_ref)
        ).scalar_one()
        return int(
            connection.execute(
                insert(sponsor_contact)
                .values(sponsor_id=sponsor_id, name="Contact Fictif", email=email)
                .returning(sponsor_contact.c.id)
            ).scalar_one()
        )


def _people(engine: Engine, *, secret_key: str = DEFAULT_SECRET) -> str:
    """An account per role (sealed with ``secret_key``), a newsletter subscriber; returns the
    reference of a request the DPO can open."""
    load_contracts(engine)
    accounts: dict[str, Any] = {
        LEARNER: {"role": "learner", "learner_id": _learner_id(engine, LEARNER)},
        CONTACT: {
            "role": "sponsor_contact",
            "sponsor_contact_id": _contact(engine, "SP-EMP", CONTACT),
        },
        DPO: {"role": "dpo"},
        ADMIN: {"role": "admin"},
    }
    for email, values in accounts.items():
        make_account(engine, email=email, created_at=NOW, secret_key=secret_key, **values)
    with engine.begin() as connection:
        connection.execute(
            insert(newsletter_subscription).values(
                email=SUBSCRIBER,
                status="confirmed",
                created_at=NOW,
                consent_at=NOW,
                consent_source="website:/newsletter",
                consent_notice_version="v",
                consent_wording="Oui",
                confirmed_at=NOW,
            )
        )
        request = record_request(
            connection,
            now=NOW,
            email=LEARNER,
            kind="access",
            identity_check="email_link",
            actor="requester",
        )
    return request.reference


def _signed_in(
    base: str, *, secure_cookies: bool = False, roles: tuple[str, ...] = ROLES
) -> dict[str, WebClient]:
    """A client per role, signed in (the anonymous one has its CSRF seed cookie already)."""
    clients = {}
    emails = {"learner": LEARNER, "sponsor_contact": CONTACT, "dpo": DPO, "admin": ADMIN}
    for role in roles:
        email = emails.get(role)
        client = httpx.Client(base_url=base, follow_redirects=False, timeout=30.0)
        if secure_cookies:
            client.event_hooks["request"] = [_every_cookie_of(client)]
        clients[role] = WebClient(base, client)
        clients[role].get("/account/sign-in")  # see test_a_first_visit_is_not_cached...
        if email is not None:
            clients[role].sign_in(email, at=NOW)
    return clients


def _every_cookie_of(client: httpx.Client) -> Callable[[httpx.Request], None]:
    """Production cookies are Secure (``__Host-``) and the test server speaks plain HTTP on
    loopback, where httpx keeps them but does not send them: send them, as a browser would
    over the HTTPS of a real deployment."""

    def send(request: httpx.Request) -> None:
        cookies = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)
        if cookies:
            request.headers["Cookie"] = cookies

    return send


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('headers') / 'headers.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    reference = _people(engine)
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW.isoformat()}
    with running_server(env) as base:
        clients = _signed_in(base)
        yield {"base": base, "engine": engine, "clients": clients, "reference": reference}
        for client in clients.values():
            client.close()
    engine.dispose()


def _fill(path: str, reference: str) -> str:
    if "/sponsor/contracts/" in path:
        return re.sub(r"\{reference(:\w+)?\}", "C-EMP", path)
    return (
        path.replace("{reference}", reference)
        .replace("{token}", "not-a-token")
        .replace("{name}", "no-such-message")
        .replace("{account_id}", "1")
        .replace("{message_id}", "999999")
        .replace("{run}", "1")
    )


def walk(
    clients: dict[str, WebClient], routes: list[tuple[str, str]], reference: str, production: bool
) -> tuple[list[str], dict[int, int]]:
    """Every route with every method as every role: the problems found, answers by status.

    POSTs carry no CSRF token: refused before anything is read or changed, their answers
    (403 pages, 401 and 422 JSON) are what is checked here; accepted ones have their own tests.
    """
    found: list[str] = []
    statuses: dict[int, int] = {}
    for role, client in clients.items():
        for method, path in routes:
            answer = client.client.request(method, _fill(path, reference))
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            cacheable = role == "anonymous" and (method, unprefixed(path)) in CACHEABLE
            found += [
                f"{role}: {p}" for p in problems(answer, cacheable=cacheable, production=production)
            ]
    return found, statuses


WALKERS = ("anonymous", "learner", "dpo")


def test_every_answer_of_every_route_carries_the_headers(site: dict[str, Any]) -> None:
    routes = _routes(_app(Settings()))
    walkers = {role: site["clients"][role] for role in WALKERS}
    found, statuses = walk(walkers, routes, site["reference"], production=False)
    assert not found, "\n".join(found)
    # The walk met pages, redirects, refusals and missing objects, not one kind of answer.
    assert {200, 303, 401, 403} <= set(statuses), statuses
    assert sum(statuses.values()) == len(routes) * len(WALKERS)


# Each role's own pages, as that role sees them (the walk sees most of them refused).
OWN_PAGES = (
    ("learner", "/my-data"),
    ("learner", "/en/my-data"),
    ("dpo", "/console"),
    ("dpo", "/console/messages"),
    ("dpo", "/console/history"),
    ("dpo", "/console/purges"),
    ("dpo", "/en/console/purges/preview"),
    # A public page asked for by someone signed in is theirs too (their name, their menu).
    ("learner", "/"),
    ("dpo", "/privacy"),
)


def test_signed_in_pages_answer_200_and_are_not_stored(site: dict[str, Any]) -> None:
    for role, path in (
        *OWN_PAGES,
        ("dpo", f"/en/console/requests/{site['reference']}"),
        ("dpo", f"/console/requests/{site['reference']}/send-export"),
        ("sponsor_contact", "/sponsor"),
        ("sponsor_contact", "/sponsor/contracts/C-EMP"),
        ("admin", "/admin/accounts"),
        ("admin", "/admin/accounts?role=dpo&state=active&q=example"),
        ("admin", "/en/admin/accounts/invite-contact?q=e"),
        ("admin", "/admin/accounts/1/deactivate"),
        ("admin", "/en/admin/accounts/1/role"),
    ):
        answer = site["clients"][role].get(path)
        assert answer.status_code == 200, (role, path, answer.status_code)
        assert problems(answer, cacheable=False, production=False) == []


def test_public_pages_are_cacheable_from_the_first_visit_and_form_pages_seed_csrf(
    site: dict[str, Any],
) -> None:
    with httpx.Client(base_url=site["base"]) as visitor:
        # The public pages show no form to a visitor who is not signed in: no CSRF seed, so
        # the very first answer is the same for everyone and a shared cache may keep it.
        for path in ("/", "/en", "/confidentialite", "/privacy"):
            first = visitor.get(path)
            assert "set-cookie" not in first.headers, path
            assert problems(first, cacheable=True, production=False) == [], path
            # The page differs once signed in: a cache keys it on the cookies.
            assert first.headers["vary"] == "Cookie"
        # A page with a form hands out the seed, once, and is never cached.
        form = visitor.get("/contact")
        assert "gardien_csrf=" in form.headers["set-cookie"]
        assert problems(form, cacheable=False, production=False) == []
        again = visitor.get("/contact")
        assert "set-cookie" not in again.headers
        # JSON answers carry no seed: they hold no form.
        assert "set-cookie" not in visitor.get("/health").headers


def test_the_stylesheet_is_kept_a_year_at_its_fingerprinted_address(site: dict[str, Any]) -> None:
    client = site["clients"]["anonymous"]
    linked = re.search(r'<link rel="stylesheet" href="([^"]+)">', client.get("/").text)
    assert linked is not None
    sheet = client.get(linked.group(1))
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/css")
    assert sheet.headers["cache-control"] == "public, max-age=31536000, immutable"
    # The address changes with the content: the fingerprint is the content's digest.
    assert linked.group(1).endswith(hashlib.sha256(sheet.content).hexdigest()[:16])
    assert ".scroll-x" in sheet.text and ".message-text" in sheet.text
    stale = client.get("/static/gardien.css?v=0000")
    assert stale.headers["cache-control"] == PUBLIC_BRIEFLY


def _outbox_link(engine: Engine, kind: str, path: str) -> str:
    # Some links are queued after the answer (a background task): wait for them a little.
    deadline = time.monotonic() + 10
    while True:
        with engine.connect() as connection:
            bodies = connection.execute(
                select(outbox_message.c.body)
                .where(outbox_message.c.kind == kind)
                .order_by(outbox_message.c.id.desc())
            ).scalars()
            found = [
                m.group(1) for b in bodies if (m := re.search(rf"https?://[^/\s]+({path}/\S+)", b))
            ]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"no {kind} e-mail"
        time.sleep(0.1)


def test_pages_reached_by_real_links_are_not_stored(site: dict[str, Any]) -> None:
    engine = site["engine"]
    pages: list[httpx.Response] = []
    with httpx.Client(base_url=site["base"], timeout=30.0) as visitor:
        # A request without an account: the verification link, then the follow-up link.
        form = visitor.get("/requests").text
        visitor.post("/requests", data={"email": VISITOR, "kind": "access", "csrf": csrf_of(form)})
        verify = _outbox_link(engine, "request_verify", "/requests/verify")
        page = visitor.get(verify)
        filed = visitor.post(
            verify, data={"email": VISITOR, "details": "", "csrf": csrf_of(page.text)}
        )
        pages += [
            page,
            filed,
            visitor.get(_outbox_link(engine, "request_filed", "/requests/status")),
        ]
        # The newsletter: confirmation from the e-mail, unsubscription from a newsletter's link.
        form = visitor.get("/newsletter").text
        visitor.post(
            "/newsletter",
            data={
                "email": "nouvelle.lectrice@example.org",
                "consent": "yes",
                "csrf": csrf_of(form),
            },
        )
        pages.append(
            visitor.get(_outbox_link(engine, "newsletter_confirmation", "/newsletter/confirm"))
        )
        with engine.connect() as connection:
            subscription = connection.execute(
                select(newsletter_subscription.c.id).where(
                    newsletter_subscription.c.email == SUBSCRIBER
                )
            ).scalar_one()
        token = make_token(
            DEFAULT_SECRET, Purpose.UNSUBSCRIBE, subscription_id=subscription, email=SUBSCRIBER
        )
        pages.append(visitor.get(f"/newsletter/unsubscribe/{token}"))
        # A password reset link.
        form = visitor.get("/account/reset").text
        visitor.post("/account/reset", data={"email": LEARNER, "csrf": csrf_of(form)})
        pages.append(visitor.get(_outbox_link(engine, "password_reset", "/account/reset")))
    # An invitation, sent by the admin.
    admin = site["clients"]["admin"]
    admin.post_form(
        "/admin/accounts/invite",
        {"email": "nouveau.dpo@example.org", "role": "dpo"},
        form_page="/admin/accounts",
    )
    with httpx.Client(base_url=site["base"], timeout=30.0) as invited:
        pages.append(invited.get(_outbox_link(engine, "account_invitation", "/account/activate")))
    assert [p.status_code for p in pages] == [200] * len(pages), [
        (p.request.url.path[:40], p.status_code) for p in pages
    ]
    assert [problems(p, cacheable=False, production=False) for p in pages] == [[]] * len(pages)


def test_downloads_and_redirects_carry_the_headers(site: dict[str, Any]) -> None:
    learner_client = site["clients"]["learner"]
    token = csrf_of(learner_client.get("/my-data").text)
    for fmt in ("json", "zip"):
        with learner_client.client.stream(
            "POST", "/my-data/export", data={"format": fmt, "csrf": token}
        ) as download:
            body = download.read()
        assert download.status_code == 200 and body
        assert download.headers["content-disposition"].startswith("attachment;")
        assert problems(download, cacheable=False, production=False) == []
    with httpx.Client(base_url=site["base"], timeout=30.0) as browser:
        browser.get("/account/sign-in")
        signed = browser.post(
            "/account/sign-in",
            data={
                "email": LEARNER,
                "password": "correct horse battery staple 42",
                "csrf": csrf_of(browser.get("/account/sign-in").text),
            },
        )
        assert signed.status_code == 303 and "set-cookie" in signed.headers
        assert problems(signed, cacheable=False, production=False) == []
    redirected = site["clients"]["anonymous"].get("/en/console")
    assert redirected.status_code == 303
    assert problems(redirected, cacheable=False, production=False) == []


def test_unknown_addresses_and_methods_carry_the_headers(site: dict[str, Any]) -> None:
    client = site["clients"]["anonymous"]
    answers = [
        client.get("/no-such-page"),
        client.client.delete("/xapi/statements"),
        client.client.post("/api/transmissions", json={"contract": "C-EMP"}),
        client.get("/xapi/statements", headers={"X-Experience-API-Version": "1.0.3"}),
    ]
    # The API asks for its token before it reads the body: 401 (docs/bad-input.md).
    assert [a.status_code for a in answers] == [404, 405, 401, 401]
    assert [problems(a, cacheable=False, production=False) for a in answers] == [[]] * 4


def test_the_api_docs_page_allows_only_its_own_inline_script(site: dict[str, Any]) -> None:
    docs = site["clients"]["anonymous"].get("/api/docs")
    [script] = re.findall(r"<script>(.*?)</script>", docs.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = docs.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == f"https://cdn.jsdelivr.net 'sha256-{digest}'"
    assert directives["frame-ancestors"] == "'none'" and directives["default-src"] == "'none'"
    assert docs.headers["x-frame-options"] == "DENY"
    assert docs.headers["cache-control"] == "no-store"


# -- production: HSTS on every answer, signed in or not, on SQLite and PostgreSQL ---------------


def test_production_answers_carry_hsts(database_url: str) -> None:
    secret = secrets.token_urlsafe(48)
    engine = make_engine(database_url)
    reference = _people(engine, secret_key=secret)
    env = {
        "GARDIEN_DATABASE_URL": database_url,
        "GARDIEN_NOW": NOW.isoformat(),
        "GARDIEN_ENVIRONMENT": "production",
        "GARDIEN_SECRET_KEY": secret,
    }
    settings = Settings(environment=Environment.PRODUCTION, secret_key=secret)
    routes = _routes(_app(settings))
    clients: dict[str, WebClient] = {}
    try:
        with running_server(env) as base:
            clients = _signed_in(base, secure_cookies=True, roles=WALKERS)
            found, statuses = walk({"anonymous": clients["anonymous"]}, routes, reference, True)
            # Signed in for real: production cookies (__Host-, Secure) went back and forth.
            for role, path in OWN_PAGES:
                answer = clients[role].get(path)
                assert answer.status_code == 200, (role, path, answer.status_code)
                found += problems(answer, cacheable=False, production=True)
    finally:
        for client in clients.values():
            client.close()
        engine.dispose()
    assert not found, "\n".join(found)
    assert {200, 303, 401, 403} <= set(statuses), statuses


# -- an error that escapes the app ---------------------------------------------------------------


def test_an_unexpected_error_is_answered_with_the_headers() -> None:
    app = _app(Settings())

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="https://gardien.example.org"
        ) as client:
            return await client.get("/broken")

    answer = asyncio.run(ask())
    assert answer.status_code == 500
    assert problems(answer, cacheable=False, production=False) == []

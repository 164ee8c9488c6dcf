"""The notice's cookies are the ones the site really sets, with the lifetimes it states.

A server runs as on the public site (production: ``__Host-`` names, Secure); a browser opens
the pages a visitor sees and signs in, and every ``Set-Cookie`` it receives is compared with
what the notice says.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from gardien.domain.cookies import COOKIES
from gardien.domain.totp import totp
from gardien.policy import load_policy
from gardien.services.notice import build_notice
from gardien.store.catalogue import record_catalogue
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from tests.support.server import running_server
from tests.support.web import PASSWORD, TOTP_SECRET, csrf_of, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
DPO = "dpo.cookies@example.org"
# Production refuses a key that is not random (docs/configuration.md).
SECRET = "OoL1IFVgkvtt8qLtB3hAb5anqWPGh_dS0kzKSSJGEgM"


def _attributes(set_cookie: str) -> tuple[str, dict[str, str]]:
    name = set_cookie.split("=", 1)[0].strip()
    attributes = {}
    for part in set_cookie.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        attributes[key.lower()] = value
    return name, attributes


def test_the_cookies_set_are_those_the_notice_lists_with_their_lifetimes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cookies.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    make_account(engine, email=DPO, role="dpo", created_at=NOW, secret_key=SECRET)
    engine.dispose()
    env = {
        "GARDIEN_DATABASE_URL": url,
        "GARDIEN_ENVIRONMENT": "production",
        "GARDIEN_SECRET_KEY": SECRET,
        "GARDIEN_NOW": NOW.isoformat(),
    }
    received: list[str] = []
    with running_server(env, timeout=120) as base, httpx.Client(base_url=base) as client:
        for path in ["/", "/confidentialite", "/privacy", "/contact", "/newsletter", "/requests"]:
            received += client.get(path).headers.get_list("set-cookie")
        page = client.get("/account/sign-in")
        received += page.headers.get_list("set-cookie")
        seed = page.cookies["__Host-gardien_csrf"]
        # Over plain HTTP the client keeps Secure cookies to itself: send the seed by hand.
        answer = client.post(
            "/account/sign-in",
            data={"email": DPO, "password": PASSWORD, "csrf": csrf_of(page.text)},
            headers={"Cookie": f"__Host-gardien_csrf={seed}"},
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/account/second-factor"
        received += answer.headers.get_list("set-cookie")
        session = f"__Host-gardien_session={answer.cookies['__Host-gardien_session']}"
        second = client.get("/account/second-factor", headers={"Cookie": session})
        received += second.headers.get_list("set-cookie")
        done = client.post(
            "/account/second-factor",
            data={"code": totp(TOTP_SECRET, NOW), "csrf": csrf_of(second.text)},
            headers={"Cookie": session},
        )
        assert done.status_code == 303
        received += done.headers.get_list("set-cookie")

    sent = dict(_attributes(cookie) for cookie in received)
    notice = build_notice(load_policy(None, catalogue=record_catalogue()), lang="en")
    listed = {cookie.name: cookie.lifetime for cookie in notice.cookies}
    assert set(sent) == set(listed)
    for cookie in COOKIES:
        attributes = sent[cookie.sent_name]
        assert "expires" not in attributes
        if cookie.max_age is None:
            assert "max-age" not in attributes
            assert listed[cookie.sent_name] == "until you close your browser"
        else:
            assert int(attributes["max-age"]) == cookie.max_age.total_seconds()
            assert listed[cookie.sent_name] == f"for {cookie.max_age.days} days"
        # Strictly necessary and first-party only: host-only, Secure, HttpOnly.
        assert "domain" not in attributes and {"secure", "httponly"} <= set(attributes)

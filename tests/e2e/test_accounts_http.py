"""Sign-in, sessions, CSRF and rate limits over real HTTP.

- Session cookies: HttpOnly, SameSite=Lax, Secure outside development; signing out kills the
  session on the server (the old cookie is worthless afterwards).
- CSRF: every public form refuses a POST without the token of the page that showed it.
- Rate limits: three free sign-in failures per address and client, then growing waits (the
  owner's side of it is in test_throttle_http.py); three reset requests an hour.
- Unknown and known addresses get the same answer at sign-in and at reset, in about the same
  time (the unknown path verifies a dummy Argon2id hash; the reset e-mail is queued after the
  response). The timing check compares medians measured in the same run, with a margin wide
  enough for a busy machine and narrow enough to catch a path that skips the hash (tens of
  times faster).
"""

from __future__ import annotations

import re
import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, insert, select

from gardien.domain.totp import totp
from gardien.services.accounts.passwords import PasswordHasher
from gardien.services.accounts.sealing import unseal
from gardien.services.accounts.signin import TOTP_SEAL
from gardien.settings import DEFAULT_SECRET
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import account, learner, outbox_message, web_session
from tests.support.server import running_server
from tests.support.web import PASSWORD, TOTP_SECRET, WebClient, csrf_of, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
KNOWN = [f"apprenant{n}@example.org" for n in range(8)]
_HASH = PasswordHasher().hash(PASSWORD)


def _count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
        )


def _learners(engine: Engine) -> None:
    """Learners with accounts at the :data:`KNOWN` addresses."""
    with engine.begin() as connection:
        for n, email in enumerate(KNOWN):
            learner_id = connection.execute(
                insert(learner)
                .values(
                    pseudonym=str(uuid.UUID(int=n + 1)),
                    email=email,
                    given_name="Prénom",
                    family_name=f"Fictif{n}",
                    created_at=NOW,
                    last_activity_at=NOW,
                )
                .returning(learner.c.id)
            ).scalar_one()
            connection.execute(
                insert(account).values(
                    email=email,
                    role="learner",
                    learner_id=learner_id,
                    password_hash=_HASH,
                    created_at=NOW,
                    activated_at=NOW,
                )
            )


def _served(tmp_path: Any) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'accounts.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    _learners(engine)
    # Development, like the demo: cookies without Secure, so that this client over plain HTTP
    # sends them back. The Secure flag outside development has a test of its own below.
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW.isoformat()}
    with running_server(env) as base:
        yield base, engine
    engine.dispose()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    yield from _served(tmp_path_factory.mktemp("accounts"))


@pytest.fixture
def fresh(tmp_path: Any) -> Iterator[tuple[str, Engine]]:
    """A server of its own: its rate limits start from zero."""
    yield from _served(tmp_path)


def _neutral(html: str) -> str:
    return re.sub(r'name="csrf" value="[^"]*"', 'name="csrf" value=""', html)


def _sign_in(base: str, email: str, password: str) -> tuple[httpx.Response, float]:
    with httpx.Client(base_url=base) as client:
        token = csrf_of(client.get("/account/sign-in").text)
        started = time.perf_counter()
        answer = client.post(
            "/account/sign-in", data={"email": email, "password": password, "csrf": token}
        )
        return answer, time.perf_counter() - started


def _flags(set_cookie: str) -> set[str]:
    return {part.strip().lower() for part in set_cookie.split(";")[1:]}


@pytest.mark.parametrize("environment", ["test", "production"])
def test_cookies_are_httponly_samesite_and_secure_outside_development(
    tmp_path: Any, environment: str
) -> None:
    url = f"sqlite:///{tmp_path / 'secure.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    make_account(engine, email=KNOWN[0], role="admin", created_at=NOW, second_factor=False)
    env = {
        "GARDIEN_DATABASE_URL": url,
        "GARDIEN_ENVIRONMENT": environment,
        # Production refuses a key that is not random (docs/configuration.md).
        "GARDIEN_SECRET_KEY": "OoL1IFVgkvtt8qLtB3hAb5anqWPGh_dS0kzKSSJGEgM",
    }
    try:
        with running_server(env) as base, httpx.Client(base_url=base) as client:
            page = client.get("/account/sign-in")
            seed = page.cookies["__Host-gardien_csrf"]
            assert {"httponly", "secure", "samesite=lax"} <= _flags(page.headers["set-cookie"])
            # A client over plain HTTP does not return Secure cookies: send it by hand.
            answer = client.post(
                "/account/sign-in",
                data={"email": KNOWN[0], "password": PASSWORD, "csrf": csrf_of(page.text)},
                headers={"Cookie": f"__Host-gardien_csrf={seed}"},
            )
        assert answer.status_code == 303
        cookie = answer.headers["set-cookie"]
        # __Host-: the browser keeps it only if Secure, host-only and for the whole site.
        assert cookie.startswith("__Host-gardien_session=")
        assert {"httponly", "secure", "samesite=lax", "path=/"} <= _flags(cookie)
        assert not any(flag.startswith("domain") for flag in _flags(cookie))
        # No lifetime of its own: the server's idle and absolute timeouts decide.
        assert not any(flag.startswith(("expires", "max-age")) for flag in _flags(cookie))
        assert _count(engine, web_session) == 1
    finally:
        engine.dispose()


def test_development_cookies_are_not_secure_so_the_demo_works_on_http(
    tmp_path: Any,
) -> None:
    url = f"sqlite:///{tmp_path / 'dev.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    make_account(engine, email=KNOWN[0], role="admin", created_at=NOW, second_factor=False)
    engine.dispose()
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_ENVIRONMENT": "development"}
    with running_server(env) as base:
        answer, _ = _sign_in(base, KNOWN[0], PASSWORD)
    flags = _flags(answer.headers["set-cookie"])
    assert "httponly" in flags and "samesite=lax" in flags and "secure" not in flags


def test_signing_out_ends_the_session_on_the_server(served: tuple[str, Engine]) -> None:
    base, engine = served
    answer, _ = _sign_in(base, KNOWN[1], PASSWORD)
    cookie = answer.cookies["gardien_session"]
    before = _count(engine, web_session)
    with httpx.Client(base_url=base, cookies={"gardien_session": cookie}) as client:
        page = client.get("/my-data")
        assert page.status_code == 200 and KNOWN[1] in page.text
        out = client.post("/account/sign-out", data={"csrf": csrf_of(page.text)})
        assert out.status_code == 200
        assert (
            'gardien_session=""' in out.headers["set-cookie"]
            or "Max-Age=0" in out.headers["set-cookie"]
        )
    assert _count(engine, web_session) == before - 1
    # The old cookie, replayed: the session is gone, so it is worth nothing.
    with httpx.Client(base_url=base, cookies={"gardien_session": cookie}) as replay:
        again = replay.get("/my-data")
    assert again.status_code == 303 and again.headers["location"] == "/account/sign-in"


@pytest.mark.parametrize(
    ("page", "data"),
    [
        ("/account/sign-in", {"email": KNOWN[0], "password": PASSWORD}),
        ("/account/reset", {"email": KNOWN[0]}),
        ("/requests", {"email": KNOWN[0], "kind": "access"}),
        ("/newsletter", {"email": "ana@example.org", "consent": "yes"}),
        ("/contact", {"name": "Ana", "email": "ana@example.org", "message": "Bonjour"}),
    ],
)
def test_every_public_form_refuses_a_post_without_its_csrf_token(
    served: tuple[str, Engine], page: str, data: dict[str, str]
) -> None:
    base, engine = served
    sessions, mails = _count(engine, web_session), _count(engine, outbox_message)
    with httpx.Client(base_url=base) as client:
        client.get(page)  # the seed cookie is set; the token is not sent
        for token in (None, "f" * 64):
            sent = dict(data) if token is None else {**data, "csrf": token}
            answer = client.post(page, data=sent)
            assert answer.status_code == 403
            assert "Ce formulaire a expiré" in answer.text or "This form has expired" in answer.text
        # Another visitor's token does not work either (it is bound to their cookie).
        with httpx.Client(base_url=base) as other:
            foreign = csrf_of(other.get(page).text)
        assert client.post(page, data={**data, "csrf": foreign}).status_code == 403
    assert (_count(engine, web_session), _count(engine, outbox_message)) == (sessions, mails)


def test_unknown_and_known_addresses_get_the_same_sign_in_answer_in_the_same_time(
    served: tuple[str, Engine],
) -> None:
    base, _ = served
    known_times, unknown_times, bodies = [], [], set()
    for n in range(2, 8):  # one try per address: the per-address limit is not reached
        known, spent_known = _sign_in(base, KNOWN[n], "wrong password, long enough")
        unknown, spent_unknown = _sign_in(base, f"inconnu{n}@example.org", "any password at all")
        assert known.status_code == unknown.status_code == 401
        assert "set-cookie" not in known.headers or "gardien_session" not in known.headers.get(
            "set-cookie", ""
        )
        # The same page, but for the address typed back and each visitor's own CSRF token.
        bodies.add(_neutral(known.text.replace(KNOWN[n], "ADDRESS")))
        bodies.add(_neutral(unknown.text.replace(f"inconnu{n}@example.org", "ADDRESS")))
        known_times.append(spent_known)
        unknown_times.append(spent_unknown)
    assert len(bodies) == 1
    known_median, unknown_median = (
        statistics.median(known_times),
        statistics.median(unknown_times),
    )
    ratio = unknown_median / known_median
    figures = f"known {known_median * 1000:.1f} ms, unknown {unknown_median * 1000:.1f} ms"
    assert 0.5 < ratio < 2.0, figures


def test_unknown_and_known_addresses_get_the_same_reset_answer(
    served: tuple[str, Engine],
) -> None:
    base, engine = served
    answers = {}
    for email in (KNOWN[2], "inconnu.reset@example.org"):
        with httpx.Client(base_url=base) as client:
            token = csrf_of(client.get("/account/reset").text)
            answers[email] = client.post("/account/reset", data={"email": email, "csrf": token})
    known, unknown = answers.values()
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    # Only the known address gets an e-mail, queued after the answer was sent.
    deadline = time.monotonic() + 10
    while _count(engine, outbox_message, outbox_message.c.kind == "password_reset") == 0:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    with engine.connect() as connection:
        recipients = (
            connection.execute(
                select(outbox_message.c.recipient).where(outbox_message.c.kind == "password_reset")
            )
            .scalars()
            .all()
        )
    assert recipients == [KNOWN[2]]


def test_sign_in_is_limited_per_address_and_client_whether_or_not_it_exists(
    fresh: tuple[str, Engine],
) -> None:
    base, _ = fresh
    waits = set()
    for email in (KNOWN[7], "inconnu.limite@example.org"):
        statuses = [
            _sign_in(base, email, "wrong password, long enough")[0].status_code for _ in range(5)
        ]
        # Three failures free, then the next try waits a second (the server's clock is
        # stopped, so it never comes).
        assert statuses == [401, 401, 401, 429, 429]
        blocked, _ = _sign_in(base, email, PASSWORD)  # even the right password now waits
        assert blocked.status_code == 429
        waits.add(blocked.headers["retry-after"])
        assert "gardien_session" not in blocked.headers.get("set-cookie", "")
    assert waits == {"1"}  # the same for an address with an account and one without


def test_reset_requests_are_limited_per_address(fresh: tuple[str, Engine]) -> None:
    base, _ = fresh
    statuses = []
    for _ in range(4):
        with httpx.Client(base_url=base) as client:
            token = csrf_of(client.get("/account/reset").text)
            statuses.append(
                client.post("/account/reset", data={"email": KNOWN[3], "csrf": token}).status_code
            )
    assert statuses == [200, 200, 200, 429]


def test_a_staff_account_is_not_in_until_the_second_factor(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'totp.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    make_account(engine, email="dpo.totp@example.org", role="dpo", created_at=NOW)
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW.isoformat()}
    try:
        with running_server(env) as base:
            client = WebClient.open(base)
            answer = client.post_form(
                "/account/sign-in", {"email": "dpo.totp@example.org", "password": PASSWORD}
            )
            assert answer.headers["location"] == "/account/second-factor"
            # Half signed in: the console sends back to the second factor.
            assert client.get("/console").headers["location"] == "/account/second-factor"
            wrong = client.post_form("/account/second-factor", {"code": "000000"})
            assert wrong.status_code == 401
            client.sign_in("dpo.totp@example.org", at=NOW)
            assert client.get("/console").status_code == 200
            # The same code cannot be used twice (the step is remembered).
            replay = WebClient.open(base)
            first = replay.post_form(
                "/account/sign-in", {"email": "dpo.totp@example.org", "password": PASSWORD}
            )
            assert first.status_code == 303
            again = replay.post_form("/account/second-factor", {"code": totp(TOTP_SECRET, NOW)})
            assert again.status_code == 401
            client.close()
            replay.close()
        with engine.connect() as connection:
            step = connection.execute(select(account.c.totp_last_step)).scalar_one()
        assert step == int(NOW.timestamp()) // 30
    finally:
        engine.dispose()


def test_a_new_dpo_sets_up_the_second_factor_at_the_first_sign_in(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'enrol.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    make_account(
        engine, email="dpo.neuf@example.org", role="dpo", created_at=NOW, second_factor=False
    )
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW.isoformat()}
    try:
        with running_server(env) as base:
            client = WebClient.open(base)
            answer = client.post_form(
                "/account/sign-in", {"email": "dpo.neuf@example.org", "password": PASSWORD}
            )
            assert answer.headers["location"] == "/account/second-factor"
            page = client.get("/account/second-factor").text
            secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page)
            assert secret, page
            key = secret.group(1).replace(" ", "")
            assert "otpauth://totp/" in page and 'role="img"' in page
            # A wrong code keeps the account without a second factor, and the same key.
            wrong = client.post_form("/account/second-factor", {"code": "000000"})
            assert wrong.status_code == 401
            assert secret.group(0) in wrong.text and 'id="code-error"' in wrong.text
            # A reload shows the same key too.
            assert secret.group(0) in client.get("/account/second-factor").text
            done = client.post_form("/account/second-factor", {"code": totp(key, NOW)})
            # The recovery codes are in the answer itself (shown once), with the new session.
            assert done.status_code == 200, done.text[:500]
            codes = re.findall(r"<li><code>[0-9a-z]{5}-[0-9a-z]{5}</code></li>", done.text)
            assert len(codes) == 10
            assert client.get("/console").status_code == 200
            client.close()
        with engine.connect() as connection:
            stored = connection.execute(select(account.c.totp_secret)).scalar_one()
        # Sealed: the database alone does not give the second factor.
        assert key not in stored and stored.startswith("v1.")
        assert unseal(DEFAULT_SECRET, TOTP_SEAL, stored) == key
    finally:
        engine.dispose()


def test_once_signed_in_a_token_bound_to_the_seed_cookie_is_refused(
    fresh: tuple[str, Engine],
) -> None:
    base, _ = fresh
    client = WebClient.open(base)
    before_sign_in = csrf_of(client.get("/account/sign-in").text)
    client.sign_in(KNOWN[0])
    # The same browser, its own seed cookie still set: only the session-bound token counts.
    refused = client.client.post("/my-data/object", data={"csrf": before_sign_in})
    assert refused.status_code == 403
    accepted = client.post_form("/my-data/object", {}, form_page="/my-data")
    assert accepted.status_code == 303
    client.close()


def test_a_new_sign_in_ends_the_session_the_browser_had(fresh: tuple[str, Engine]) -> None:
    base, engine = fresh
    make_account(engine, email="dpo.partage@example.org", role="dpo", created_at=NOW)
    client = WebClient.open(base)
    half = client.post_form(
        "/account/sign-in", {"email": "dpo.partage@example.org", "password": PASSWORD}
    )
    assert half.headers["location"] == "/account/second-factor"
    assert _count(engine, web_session) == 1
    # Someone else signs in on the same browser before the second factor was given: the
    # half-open session does not linger on the server.
    client.sign_in(KNOWN[2])
    assert _count(engine, web_session) == 1
    page = client.get("/my-data")
    assert KNOWN[2] in page.text and KNOWN[1] not in page.text
    client.close()


def test_the_erasure_form_limits_password_guesses(fresh: tuple[str, Engine]) -> None:
    base, engine = fresh
    client = WebClient.open(base)
    client.sign_in(KNOWN[3])
    statuses = [
        client.post_form(
            "/my-data/erase",
            {"password": "not my password at all", "confirm": "yes"},
            form_page="/my-data",
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [400] * 5 + [429]
    assert _count(engine, learner, learner.c.email == KNOWN[3]) == 1  # nothing erased
    client.close()

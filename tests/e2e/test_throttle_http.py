"""Throttling that cannot be turned against the owner, over real HTTP (issue 15, point 4).

What "client" means here (docs/accounts.md, "Throttling"): a browser that completed a sign-in
to the address before (its known-device cookie), or else its network address as the app sees
it. The test servers run as they would behind a reverse proxy on the same machine: uvicorn
trusts ``X-Forwarded-For`` from the proxies in ``FORWARDED_ALLOW_IPS`` (127.0.0.1 here, where
the test clients connect from), so each test client names its own address in that header, as
the proxy would. A client that sends no header is the proxy itself: every visitor behind it
shares that address, and only the known-device cookie tells the owner apart.

The servers' clock is stopped (``GARDIEN_NOW``): a wait never elapses on its own, so each
status below is exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import throttle_counter
from tests.support.server import running_server
from tests.support.web import PASSWORD, WebClient, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
DPO = "dpo.limites@example.org"
STRANGER = "203.0.113.7"  # TEST-NET-3: documentation addresses only
OWNER = "198.51.100.20"  # TEST-NET-2
CAP = 50  # failures per address and hour from clients that are not known devices


def _env(url: str) -> dict[str, str]:
    return {
        "GARDIEN_DATABASE_URL": url,
        "GARDIEN_NOW": NOW.isoformat(),
        # The proxy in front of the app: X-Forwarded-For is believed from loopback only.
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
    }


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A server of its own with a DPO account (TOTP), on a fresh SQLite file."""
    url = f"sqlite:///{tmp_path / 'throttle.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    make_account(engine, email=DPO, role="dpo", created_at=NOW)
    with running_server(_env(url)) as base:
        yield base, engine
    engine.dispose()


def browser(base: str, forwarded_for: str | None = None) -> WebClient:
    """A browser; with ``forwarded_for``, at that address behind the trusted proxy."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return WebClient(base, httpx.Client(base_url=base, headers=headers, timeout=30.0))


def try_password(client: WebClient, email: str, password: str) -> httpx.Response:
    return client.post_form("/account/sign-in", {"email": email, "password": password})


def once(base: str, forwarded_for: str, path: str, data: dict[str, str]) -> httpx.Response:
    """One form sent by a new browser at ``forwarded_for``."""
    client = browser(base, forwarded_for)
    try:
        return client.post_form(path, data)
    finally:
        client.close()


def neutral(html: str) -> str:
    return re.sub(r'name="csrf" value="[^"]*"', 'name="csrf" value=""', html)


def test_a_stranger_guessing_from_their_machine_does_not_lock_the_dpo_out(
    served: tuple[str, Engine],
) -> None:
    base, engine = served
    stranger = browser(base, STRANGER)
    statuses = [try_password(stranger, DPO, f"guess number {n}").status_code for n in range(5)]
    # Three failures cost nothing; then each try waits 2**(n-3) s: on a stopped clock the
    # fourth and fifth come too early.
    assert statuses == [401, 401, 401, 429, 429]
    refused = try_password(stranger, DPO, PASSWORD)  # even the right password waits
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert "Trop de tentatives" in refused.text
    assert "gardien_session" not in refused.headers.get("set-cookie", "")

    # The DPO, from their own browser elsewhere, at once: in, second factor included.
    owner = browser(base, OWNER)
    owner.sign_in(DPO, at=NOW)
    assert owner.get("/console").status_code == 200
    with engine.connect() as connection:
        keys = list(connection.execute(select(throttle_counter.c.key_hash)).scalars())
    # Counters are named by keyed hashes: neither the address nor the IP address is stored.
    assert keys and all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)
    stranger.close()
    owner.close()


def test_behind_one_address_the_known_device_cookie_tells_the_owner_apart(
    served: tuple[str, Engine],
) -> None:
    base, _ = served
    owner = browser(base)  # no header: everyone comes from the proxy's own address
    owner.sign_in(DPO, at=NOW)
    assert "gardien_device" in owner.client.cookies
    signed_out = owner.post_form("/account/sign-out", {}, form_page="/console")
    assert signed_out.status_code == 200

    stranger = browser(base)
    statuses = [try_password(stranger, DPO, f"guess number {n}").status_code for n in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    # A browser the DPO never signed in with is, here, the stranger's client: it waits too.
    newcomer = browser(base)
    assert try_password(newcomer, DPO, PASSWORD).status_code == 429
    # The DPO's own browser is a known device: in at once (a code of the next 30 s step,
    # since the one of this step was used).
    owner.sign_in(DPO, at=NOW + timedelta(seconds=30))
    assert owner.get("/console").status_code == 200
    for client in (owner, stranger, newcomer):
        client.close()


def test_guesses_from_many_clients_hit_the_per_address_cap_known_devices_still_pass(
    served: tuple[str, Engine],
) -> None:
    base, _ = served
    owner = browser(base, OWNER)
    owner.sign_in(DPO, at=NOW)
    owner.post_form("/account/sign-out", {}, form_page="/console")

    answers: dict[str, httpx.Response] = {}
    for email in (DPO, "inconnu.limites@example.org"):
        # A botnet: one guess from each of many addresses, never twice from the same one.
        for n in range(CAP):
            bot = f"10.{len(answers)}.{n // 200}.{n % 200 + 1}"
            guess = {"email": email, "password": f"guess number {n}"}
            assert once(base, bot, "/account/sign-in", guess).status_code == 401, n
        late = f"10.{len(answers)}.99.1"
        answers[email] = once(
            base, late, "/account/sign-in", {"email": email, "password": PASSWORD}
        )
    known, unknown = answers.values()
    # The cap: the next client that is not a known device waits for the hour to end, the same
    # way for an address with an account and one without (nothing tells them apart).
    assert known.status_code == unknown.status_code == 429
    assert known.headers["retry-after"] == unknown.headers["retry-after"] == "3600"
    assert neutral(known.text) == neutral(unknown.text)

    # The DPO's known device still passes the cap (same network address as before).
    owner.sign_in(DPO, at=NOW + timedelta(seconds=30))
    assert owner.get("/console").status_code == 200
    owner.close()


def test_a_success_resets_its_pair(served: tuple[str, Engine]) -> None:
    base, _ = served
    owner = browser(base, OWNER)
    for round_ in range(2):
        # Two wrong passwords then the right one, twice over: the success wipes the count, so
        # the second round starts from nothing (else its first try would be the fourth of the
        # pair, and wait).
        statuses = [try_password(owner, DPO, f"typo {n}").status_code for n in range(2)]
        assert statuses == [401, 401], round_
        owner.sign_in(DPO, at=NOW + timedelta(seconds=30 * round_))
        owner.post_form("/account/sign-out", {}, form_page="/console")
    owner.close()


def test_two_server_processes_share_one_limit(database_url: str) -> None:
    engine = make_engine(database_url)
    make_account(engine, email=DPO, role="dpo", created_at=NOW)
    engine.dispose()
    with running_server(_env(database_url)) as one, running_server(_env(database_url)) as two:
        # Hits spread over both processes reach each limit once, as one process would.
        servers = [one, two, one, two]
        subscribe = [
            once(base, STRANGER, "/newsletter", {"email": "ana@example.org", "consent": "yes"})
            for base in servers
        ]
        assert [answer.status_code for answer in subscribe] == [200, 200, 200, 429]
        guesses = [
            once(base, STRANGER, "/account/sign-in", {"email": DPO, "password": f"guess {n}"})
            for n, base in enumerate(servers)
        ]
        assert [answer.status_code for answer in guesses] == [401, 401, 401, 429]
        assert guesses[-1].headers["retry-after"] == "1"
        # Meanwhile the owner signs in on either process.
        owner = browser(two, OWNER)
        owner.sign_in(DPO, at=NOW)
        assert owner.get("/console").status_code == 200
        owner.close()

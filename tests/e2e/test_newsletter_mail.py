"""The newsletter end to end: a real server over HTTP, the real CLI, a real SMTP server (aiosmtpd)
on loopback.

Subscribe through the form; the confirmation e-mail arrives and its link confirms; a campaign
arrives with one ``List-Unsubscribe`` and one ``List-Unsubscribe-Post`` header, unfolded; a bare
POST to that URL (no cookie, no authentication) unsubscribes with a 200 and no redirect; the
next campaign does not reach the address. Then the SMTP server goes down in the middle of a
campaign: nothing is lost, and nothing is sent twice once it is back.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import newsletter_subscription
from tests.support.server import free_port, running_server
from tests.support.smtp import smtp_server
from tests.support.web import form_post

pytestmark = pytest.mark.e2e


class Site:
    """The server, the SMTP server and the database of one test."""

    def __init__(self, base: str, env: dict[str, str], smtp: Any, url: str) -> None:
        self.base = base
        self.env = env
        self.smtp = smtp
        self.url = url

    def cli(self, *args: str, now: datetime | None = None) -> str:
        env = {**os.environ, **self.env}
        if now is not None:
            env["GARDIEN_NOW"] = now.isoformat()
        done = subprocess.run(
            [sys.executable, "-m", "gardien", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def subscriptions(self) -> dict[str, str]:
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    select(newsletter_subscription.c.email, newsletter_subscription.c.status)
                ).all()
        finally:
            engine.dispose()
        return {row.email: row.status for row in rows}

    def received(self, recipient: str) -> list[Any]:
        return [m for m in self.smtp.messages if recipient in str(m["To"])]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    port = free_port()
    with smtp_server() as smtp:
        env = {
            "GARDIEN_DATABASE_URL": url,
            "GARDIEN_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "GARDIEN_SMTP_HOST": "127.0.0.1",
            "GARDIEN_SMTP_PORT": str(smtp.port),
            "GARDIEN_SECRET_KEY": "e2e-newsletter-secret",
        }
        with running_server(env, port=port) as base:
            yield Site(base, env, smtp, url)


def subscribe(site: Site, email: str) -> None:
    page = form_post(f"{site.base}/newsletter", {"email": email, "consent": "yes", "website": ""})
    assert page.status_code == 200
    assert "Consultez votre boîte de réception" in page.text


def confirm_from_mail(site: Site, email: str) -> None:
    site.cli("outbox", "send")
    [mail] = site.received(email)
    body = mail.get_body(("plain",)).get_content()
    [url] = re.findall(r"http://127\.0\.0\.1:\d+/newsletter/confirm/\S+", body)
    shown = httpx.get(url)  # the link shows a button; opening it changes nothing
    assert shown.status_code == 200 and '<form method="post"' in shown.text
    assert site.subscriptions()[email] == "pending"
    done = form_post(url)
    assert done.status_code == 200 and "Inscription confirmée" in done.text
    assert site.subscriptions()[email] == "confirmed"


def campaign(site: Site, tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / f"{name}.md"
    path.write_text(f"Subject: {name}\n\n{text}\n", encoding="utf-8")
    return site.cli("newsletter", "send", str(path), "--json")


def test_subscribe_confirm_receive_unsubscribe_in_one_click(site: Site, tmp_path: Path) -> None:
    subscribe(site, "ana@example.org")
    subscribe(site, "bob@example.org")
    confirm_from_mail(site, "ana@example.org")
    confirm_from_mail(site, "bob@example.org")

    campaign(site, tmp_path, "Rentree", "Bonjour,\n\nNos **nouveautés**.")
    [mail] = [m for m in site.received("ana@example.org") if m["Subject"] == "Rentree"]
    [raw] = [
        item.raw
        for item in site.smtp.received
        if item.rcpt_tos == ["ana@example.org"] and b"\nSubject: Rentree\r\n" in item.raw
    ]
    # One header each, on one line (not folded, not encoded): what DKIM and mail clients need.
    assert raw.count(b"\nList-Unsubscribe:") == 1
    assert raw.count(b"\nList-Unsubscribe-Post:") == 1
    assert b"\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw
    found = re.search(rb"\nList-Unsubscribe: <(http://[^>\s]+)>\r\n", raw)
    assert found, raw[:2000]
    url = found.group(1).decode()
    assert url in mail.get_body(("plain",)).get_content()  # visible in the body too

    # One click: a bare POST, no cookie, no authentication, no redirect.
    with httpx.Client(follow_redirects=False) as client:
        answer = client.post(url, data={"List-Unsubscribe": "One-Click"})
        again = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and "location" not in answer.headers
    assert "set-cookie" not in answer.headers
    assert again.status_code == 200  # twice is harmless
    assert "ana@example.org" not in site.subscriptions()  # the policy keeps nothing

    campaign(site, tmp_path, "Suite", "Deuxième lettre.")
    ana = [str(m["Subject"]) for m in site.received("ana@example.org")]
    assert len(ana) == 2 and ana[1] == "Rentree"  # the confirmation, the first campaign
    assert [str(m["Subject"]) for m in site.received("bob@example.org")][-1] == "Suite"


def test_an_smtp_outage_mid_campaign_loses_nothing_and_sends_nothing_twice(
    site: Site, tmp_path: Path
) -> None:
    addresses = [f"abonne.{n}@example.org" for n in range(6)]
    for address in addresses:
        subscribe(site, address)
        confirm_from_mail(site, address)
    site.smtp.go_down_after(3)  # the server accepts three messages, then goes down

    report = campaign(site, tmp_path, "Panne", "Une lettre pendant une panne.")
    assert '"queued": 6' in report
    delivered = [m for m in site.smtp.messages if m["Subject"] == "Panne"]
    assert len(delivered) == 3

    site.smtp.stop()
    site.smtp.start()
    later = datetime.now(UTC) + timedelta(hours=1)  # past the backoff
    site.cli("outbox", "send", now=later)
    site.cli("outbox", "send", now=later + timedelta(hours=1))
    copies = Counter(str(m["To"]) for m in site.smtp.messages if m["Subject"] == "Panne")
    assert sorted(copies) == sorted(addresses)
    assert set(copies.values()) == {1}

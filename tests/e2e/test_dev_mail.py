"""``make demo``'s mailbox: with ``--dev-mail`` the server runs a local SMTP sink and sends the
outbox to it; ``/dev/mail`` shows the messages in development with ``--dev-mail``, and exists
nowhere else: not without the flag, not outside development."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from tests.support.server import free_port, running_server
from tests.support.web import form_post

pytestmark = pytest.mark.e2e


def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'dev.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def test_the_demo_mailbox_shows_what_the_site_sent(tmp_path: Path) -> None:
    env = {
        "GARDIEN_DATABASE_URL": database(tmp_path),
        "GARDIEN_ENVIRONMENT": "development",
        "GARDIEN_MAIL_SINK_DIR": str(tmp_path / "mail"),
        "GARDIEN_SMTP_PORT": str(free_port()),
    }
    with running_server(env, args=["--dev-mail"]) as base:
        assert "No message yet." in httpx.get(f"{base}/dev/mail").text
        sent = form_post(f"{base}/newsletter", {"email": "demo@example.org", "consent": "yes"})
        assert sent.status_code == 200
        deadline = time.monotonic() + 20
        while "demo@example.org" not in (listing := httpx.get(f"{base}/dev/mail").text):
            assert time.monotonic() < deadline, "the confirmation never reached the sink"
            time.sleep(0.5)
        assert "Confirm your subscription" in listing or "Confirmez votre inscription" in listing
        [name] = [p.name for p in (tmp_path / "mail").glob("*.eml")]
        page = httpx.get(f"{base}/dev/mail/{name}")
        assert page.status_code == 200
        assert "/newsletter/confirm/" in page.text
        assert httpx.get(f"{base}/dev/mail/nothing.eml").status_code == 404


def test_there_is_no_mailbox_outside_development(tmp_path: Path) -> None:
    env = {
        "GARDIEN_DATABASE_URL": database(tmp_path),
        "GARDIEN_ENVIRONMENT": "production",
        "GARDIEN_SECRET_KEY": "OoL1IFVgkvtt8qLtB3hAb5anqWPGh_dS0kzKSSJGEgM",  # token_urlsafe(32)
        "GARDIEN_MAIL_SINK_DIR": str(tmp_path / "mail"),
    }
    with running_server(env) as base:
        assert httpx.get(f"{base}/dev/mail").status_code == 404
        assert httpx.get(f"{base}/newsletter").status_code == 200


def test_there_is_no_mailbox_without_dev_mail_even_in_development(tmp_path: Path) -> None:
    env = {
        "GARDIEN_DATABASE_URL": database(tmp_path),
        "GARDIEN_ENVIRONMENT": "development",
        "GARDIEN_MAIL_SINK_DIR": str(tmp_path / "mail"),
    }
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "left-over.eml").write_text("Subject: hello\n\nbody\n", encoding="utf-8")
    with running_server(env) as base:
        assert httpx.get(f"{base}/dev/mail").status_code == 404
        assert httpx.get(f"{base}/dev/mail/left-over.eml").status_code == 404
        assert httpx.get(f"{base}/newsletter").status_code == 200

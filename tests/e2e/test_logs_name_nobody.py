"""No log line of a whole day's work names anyone.

A real server with JSON logs at DEBUG (the most a production operator would turn on), the
command line with the same settings, a loopback SMTP server, and every way personal data comes
in or goes out, through its real entry point: an import (``gardien import``), a newsletter
subscription confirmed from its e-mail, the contact form, a data-subject request filed through
the public form and confirmed from its e-mail, xAPI statements from a registered client (the
learner named by ``mbox``), « Mes données » (sign-in, a failed one too, the page, both
exports, erasure), ``gardien outbox send``, ``gardien sweep`` and ``gardien audit verify``.

Then every line the server and the commands wrote on stderr must be one JSON object, and none
may hold any fixture address, first name, last name or ``mbox``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import learner
from tests.support.lrs import Activity, post_activity, register_client
from tests.support.server import free_port, running_server
from tests.support.smtp import SmtpServer, smtp_server
from tests.support.transmission_samples import LEARNERS, transmission_document
from tests.support.web import PASSWORD, WebClient, csrf_of, form_post, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
LEARNER = LEARNERS["chloe"][0]
SUBSCRIBER = ("Yannick", "Abonnet", "yannick.abonnet@example.org")
WRITER = ("Maëlle", "Écrivaine", "maelle.ecrivaine@example.com")
VISITOR = ("Noé", "Demandeur", "noe.demandeur@example.org")
STRANGER = "inconnu.total@example.org"  # a sign-in with an address nobody has
MODULE = "https://learning.example.org/paths/fle-a2/modules/m3"


def personal_words() -> set[str]:
    """Every address, first name and last name of the fixtures, and the learner's mbox."""
    words = {f"mailto:{LEARNER}", STRANGER}
    for email, given, family in LEARNERS.values():
        words |= {email, given, family}
    for given, family, email in (SUBSCRIBER, WRITER, VISITOR):
        words |= {email, given, family}
    return words


def leaks(lines: list[str], words: set[str]) -> list[str]:
    """The lines that hold one of ``words`` (as a whole word, whatever the case), with it."""
    patterns = {
        word: re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE) for word in words
    }
    found = []
    for line in lines:
        for word, pattern in patterns.items():
            if pattern.search(line) or pattern.search(json.dumps(line)):
                found.append(f"{word!r} in {line}")
    return found


class Day:
    """The commands of the day, with the same settings as the server; their stderr kept."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.stderr: list[str] = []

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "gardien", *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
        self.stderr += done.stderr.splitlines()
        return done.stdout


def link_in_mail(smtp: SmtpServer, recipient: str, path: str) -> str:
    found = []
    for message in smtp.messages:
        if recipient in str(message["To"]):
            body = message.get_body(("plain",))
            assert body is not None
            found += re.findall(
                rf"http://127\.0\.0\.1:\d+{re.escape(path)}/\S+", body.get_content()
            )
    assert found, f"no link to {path} in the mail to the recipient"
    return str(found[-1])


def test_the_detector_finds_a_name() -> None:
    """The check below could fail: a line naming someone is caught, a clean one is not."""
    words = personal_words()
    assert leaks(['{"message": "refused for chloé planchet"}'], words)
    assert leaks(['{"message": "mailto:chloe.plan@example.org"}'], words)
    assert not leaks(['{"message": "outbox 3: sent", "route": "/contact"}'], words)


def test_no_log_line_of_a_days_work_names_anyone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'day.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    port = free_port()
    server_log = tmp_path / "server.log"
    document = tmp_path / "import.json"
    document.write_text(json.dumps(transmission_document()), encoding="utf-8")
    with smtp_server() as smtp:
        day = Day(
            {
                "GARDIEN_DATABASE_URL": url,
                "GARDIEN_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "GARDIEN_SMTP_HOST": "127.0.0.1",
                "GARDIEN_SMTP_PORT": str(smtp.port),
                "GARDIEN_NOW": NOW.isoformat(),
                "GARDIEN_LOG_FORMAT": "json",
                "GARDIEN_LOG_LEVEL": "DEBUG",
            }
        )
        day.cli("import", str(document))
        with engine.connect() as connection:
            chloe = connection.execute(
                select(learner.c.id).where(learner.c.email == LEARNER)
            ).scalar_one()
        make_account(engine, email=LEARNER, role="learner", learner_id=chloe, created_at=NOW)
        platform = register_client(engine)
        with running_server(day.env, port=port, log=server_log, timeout=120) as base:
            # The newsletter, confirmed from its e-mail.
            subscribed = form_post(
                f"{base}/newsletter", {"email": SUBSCRIBER[2], "consent": "yes", "website": ""}
            )
            assert subscribed.status_code == 200
            day.cli("outbox", "send")
            confirm = link_in_mail(smtp, SUBSCRIBER[2], "/newsletter/confirm")
            assert "Inscription confirmée" in form_post(confirm).text

            # The contact form, signed with a name.
            sent = form_post(
                f"{base}/contact",
                {
                    "name": f"{WRITER[0]} {WRITER[1]}",
                    "email": WRITER[2],
                    "message": f"Bonjour, ici {WRITER[0]} {WRITER[1]} : une question.",
                },
            )
            assert sent.status_code == 200

            # A request filed through the public form, confirmed from its e-mail.
            with httpx.Client(base_url=base) as visitor:
                form = visitor.get("/requests").text
                asked = visitor.post(
                    "/requests",
                    data={"email": VISITOR[2], "kind": "access", "csrf": csrf_of(form)},
                )
                assert asked.status_code == 200
            day.cli("outbox", "send")
            verify = link_in_mail(smtp, VISITOR[2], "/requests/verify")
            with httpx.Client() as visitor:
                page = visitor.get(verify).text
                filed = visitor.post(
                    verify,
                    data={
                        "email": VISITOR[2],
                        "details": f"{VISITOR[0]} {VISITOR[1]}, merci.",
                        "csrf": csrf_of(page),
                    },
                )
                assert filed.status_code == 200

            # Learning activity from the platform, naming the learner by mbox.
            post_activity(
                base,
                platform,
                LEARNER,
                [
                    Activity("attempted", MODULE, NOW),
                    Activity("passed", MODULE, NOW, 0.84),
                ],
            )

            # « Mes données »: a failed sign-in, then hers; the page, both exports, erasure.
            stranger = WebClient.open(base)
            refused = stranger.post_form(
                "/account/sign-in", {"email": STRANGER, "password": "not the password"}
            )
            assert refused.status_code in (400, 401)
            stranger.close()
            web = WebClient.open(base)
            try:
                web.sign_in(LEARNER)
                mine = web.get("/my-data")
                assert mine.status_code == 200 and LEARNERS["chloe"][1] in mine.text
                for fmt in ("json", "zip"):
                    exported = web.client.post(
                        "/my-data/export", data={"format": fmt, "csrf": csrf_of(mine.text)}
                    )
                    assert exported.status_code == 200, fmt
                erased = web.post_form(
                    "/my-data/erase", {"password": PASSWORD, "confirm": "yes"}, form_page="/my-data"
                )
                assert erased.status_code == 200
            finally:
                web.close()

            # The nightly jobs.
            day.cli("outbox", "send")
            day.cli("sweep")
            day.cli("audit", "verify", "--record")
    engine.dispose()

    server_lines = server_log.read_text(encoding="utf-8").splitlines()
    lines = server_lines + day.stderr
    parsed = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(isinstance(item, dict) and "message" in item for item in parsed)
    # The day was logged: a line per request, and the commands' own lines.
    requests = [item for item in parsed if item["logger"] == "gardien.request"]
    assert len(requests) >= 20
    routes = {item["route"] for item in requests}
    assert {
        "/newsletter/confirm/{token}",
        "/contact",
        "/xapi/statements",
        "/my-data/erase",
    } <= routes
    assert any(item["logger"] == "gardien.services.outbox_sender" for item in parsed)
    # No one is named.
    found = leaks(lines, personal_words())
    assert not found, "\n".join(found)
    # Nor is a path with a token or a query string.
    assert not [line for line in lines if "/newsletter/confirm/" in line and "{token}" not in line]
    assert not [line for line in lines if "?" in json.loads(line).get("route", "")]

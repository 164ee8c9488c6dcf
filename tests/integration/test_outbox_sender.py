"""The outbox sender against a real SMTP server (aiosmtpd on loopback), on SQLite and PostgreSQL.

Every message queued arrives once with its headers; an outage in the middle of a run loses
nothing and uses up no attempt; a permanent refusal is given up without holding the others
back; a temporary one is retried on the backoff table; two senders at once never send the same
message twice; and ``gardien outbox send`` does the same from the command line.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import dkim
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from gardien.cli.main import main
from gardien.domain.clock import FixedClock
from gardien.errors import MailServerUnavailableError
from gardien.mail.compose import message_id
from gardien.mail.sink import read_sink, start_sink
from gardien.mail.smtp import SmtpTransport, Transport
from gardien.services.outbox_sender import SendReport, backoff, send_due
from gardien.settings import Settings
from gardien.store import outbox
from gardien.store.engine import make_engine
from gardien.store.outbox import NewMessage, QueuedMessage, queue_messages
from gardien.store.tables import outbox_message
from gardien.store.uow import UnitOfWork
from tests.support.server import free_port
from tests.support.smtp import (
    SmtpServer,
    dns_record,
    generate_dkim_key,
    self_signed_tls,
    smtp_server,
)
from tests.support.threads import run_together

NOW = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)
MAX_ATTEMPTS = 8
UNSUBSCRIBE = "<https://www.example.org/lettre/desabonnement?jeton={n}>"
ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with smtp_server() as running:
        yield running


def address(n: int) -> str:
    return f"apprenant.{n}@example.org"


def queue(engine: Engine, numbers: range, *, send_after: datetime = NOW, **extra: Any) -> None:
    """Queue one newsletter per number, to ``apprenant.<n>@example.org``."""
    messages = [
        NewMessage(
            dedupe_key=f"test-newsletter:{n}",
            kind="newsletter",
            recipient=address(n),
            subject=f"Lettre d'information n° {n} / Newsletter #{n}",
            body=f"Bonjour,\n\nVoici la lettre n° {n}.\n",
            html_body=f"<p>Bonjour,</p><p>Voici la lettre n° {n}.</p>",
            headers={
                "List-Unsubscribe": UNSUBSCRIBE.format(n=n),
                "List-Unsubscribe-Post": ONE_CLICK,
            },
            send_after=send_after,
            **extra,
        )
        for n in numbers
    ]
    with UnitOfWork(engine, write=True) as uow:
        queue_messages(uow.connection, messages, now=NOW - timedelta(hours=1))
        uow.commit()


def settings_for(server: SmtpServer, **changes: Any) -> Settings:
    return Settings(
        **{"smtp_host": "127.0.0.1", "smtp_port": server.port, "smtp_timeout": 5.0, **changes}
    )


def send(engine: Engine, server: SmtpServer, at: datetime = NOW, **options: Any) -> SendReport:
    return send_due(engine, settings=settings_for(server), clock=FixedClock(at), **options)


def rows(engine: Engine) -> dict[str, dict[str, Any]]:
    """The outbox by recipient."""
    with engine.connect() as connection:
        found = connection.execute(select(outbox_message).order_by(outbox_message.c.id))
        return {row.recipient: dict(row._mapping) for row in found}


def counts(report: SendReport) -> tuple[int, int, int]:
    return report.sent, report.retry_later, report.given_up


def no_address_in(text: str | None) -> bool:
    return text is not None and "@" not in text and "example.org" not in text


# -- delivery ----------------------------------------------------------------------------------


def test_queued_messages_arrive_once_with_their_headers(engine: Engine, server: SmtpServer) -> None:
    queue(engine, range(3))
    assert counts(send(engine, server)) == (3, 0, 0)
    assert server.per_recipient() == {address(n): 1 for n in range(3)}
    stored = rows(engine)
    for item in server.received:
        [recipient] = item.rcpt_tos
        n = int(recipient.split(".")[1].split("@")[0])
        mail = item.message
        assert item.mail_from == "ne-pas-repondre@example.org"
        assert mail["To"] == recipient
        assert mail["Subject"] == f"Lettre d'information n° {n} / Newsletter #{n}"
        assert mail.get_all("List-Unsubscribe") == [UNSUBSCRIBE.format(n=n)]
        assert mail.get_all("List-Unsubscribe-Post") == [ONE_CLICK]
        assert parsedate_to_datetime(mail["Date"]) == NOW
        row = stored[recipient]
        queued = QueuedMessage(**{**row, "headers": None})
        assert mail["Message-ID"] == message_id(queued, domain="example.org")
        html = mail.get_body(preferencelist=("html",))
        assert html is not None and f"la lettre n° {n}" in html.get_content()
    for row in stored.values():
        assert row["sent_at"] == NOW
        assert row["attempts"] == 1
        assert row["last_error"] is None
    # Everything is marked sent: a second run, even much later, sends nothing more.
    assert counts(send(engine, server, NOW + timedelta(days=2))) == (0, 0, 0)
    assert len(server.received) == 3


def test_a_message_not_yet_due_waits(engine: Engine, server: SmtpServer) -> None:
    queue(engine, range(2), send_after=NOW + timedelta(hours=1))
    assert counts(send(engine, server)) == (0, 0, 0)
    assert server.received == []
    assert counts(send(engine, server, NOW + timedelta(hours=1))) == (2, 0, 0)


def test_one_session_carries_a_whole_run(engine: Engine, server: SmtpServer) -> None:
    sessions = []

    def counting(settings: Settings) -> Transport:
        sessions.append(settings)
        return SmtpTransport(settings)

    queue(engine, range(5))
    assert counts(send(engine, server, transport_factory=counting)) == (5, 0, 0)
    assert len(sessions) == 1
    assert len(server.received) == 5


def test_dkim_signed_mail_verifies_on_arrival(
    engine: Engine, server: SmtpServer, tmp_path: Path
) -> None:
    private, public = generate_dkim_key(tmp_path)
    settings = settings_for(
        server, dkim_domain="example.org", dkim_selector="gardien", dkim_private_key_file=private
    ).check()
    queue(engine, range(2))
    assert counts(send_due(engine, settings=settings, clock=FixedClock(NOW))) == (2, 0, 0)
    for raw in server.raw:
        assert raw.startswith(b"DKIM-Signature:")
        assert dkim.verify(raw, dnsfunc=dns_record("example.org", "gardien", public))


# -- TLS and login -----------------------------------------------------------------------------

SAMPLE = b"Subject: essai\r\nTo: apprenant.1@example.org\r\n\r\nBonjour\r\n"


@pytest.fixture
def trusted_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A server TLS context whose self-signed certificate this process trusts."""
    context, certificate = self_signed_tls(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    return context


def test_starttls_and_login(trusted_tls: ssl.SSLContext) -> None:
    credentials = ("gardien", "mot-de-passe-de-test")
    with smtp_server(tls=trusted_tls, credentials=credentials) as server:
        settings = settings_for(
            server,
            smtp_starttls=True,
            smtp_username=credentials[0],
            smtp_password=SecretStr(credentials[1]),
        ).check()
        with SmtpTransport(settings) as transport:
            for _ in range(2):  # the second message reuses the session
                transport.send(sender="gardien@example.org", recipient=address(1), data=SAMPLE)
        assert server.per_recipient() == {address(1): 2}
        wrong = settings.model_copy(update={"smtp_password": SecretStr("faux")})
        with SmtpTransport(wrong) as transport, pytest.raises(MailServerUnavailableError) as info:
            transport.send(sender="gardien@example.org", recipient=address(2), data=SAMPLE)
        assert str(info.value).startswith("SMTPAuthenticationError: 535")
        assert "faux" not in str(info.value)
        # The server takes no mail without TLS: that is "unavailable", not a refusal.
        plain = settings_for(server)
        with SmtpTransport(plain) as transport, pytest.raises(MailServerUnavailableError) as info:
            transport.send(sender="gardien@example.org", recipient=address(3), data=SAMPLE)
        assert str(info.value).startswith("SMTPSenderRefused: 530")
        assert server.per_recipient() == {address(1): 2}


def test_implicit_tls(trusted_tls: ssl.SSLContext, engine: Engine) -> None:
    with smtp_server(tls=trusted_tls, implicit_tls=True) as server:
        queue(engine, range(2))
        settings = settings_for(server, smtp_ssl=True).check()
        assert counts(send_due(engine, settings=settings, clock=FixedClock(NOW))) == (2, 0, 0)
        assert server.per_recipient() == {address(0): 1, address(1): 1}
        # The same server spoken to in clear text: no session, the messages would wait.
        clear = SmtpTransport(settings_for(server, smtp_timeout=1.0))
        with clear, pytest.raises(MailServerUnavailableError):
            clear.send(sender="gardien@example.org", recipient=address(3), data=SAMPLE)


def test_an_untrusted_certificate_is_refused(tmp_path: Path) -> None:
    context, _ = self_signed_tls(tmp_path)  # not trusted by this process
    with smtp_server(tls=context) as server:
        settings = settings_for(server, smtp_starttls=True)
        with (
            SmtpTransport(settings) as transport,
            pytest.raises(MailServerUnavailableError) as info,
        ):
            transport.send(sender="gardien@example.org", recipient=address(1), data=SAMPLE)
        assert "SSLCertVerificationError" in str(info.value)
        assert server.received == []


# -- outages -----------------------------------------------------------------------------------


def test_an_outage_in_the_middle_of_a_run_loses_nothing(engine: Engine, server: SmtpServer) -> None:
    queue(engine, range(6))
    server.go_down_after(2)
    assert counts(send(engine, server)) == (2, 4, 0)
    assert len(server.received) == 2
    stored = rows(engine)
    sent = {r for r, row in stored.items() if row["sent_at"] is not None}
    waiting = {r: row for r, row in stored.items() if row["sent_at"] is None}
    assert sent == {address(0), address(1)}
    assert len(waiting) == 4
    for row in waiting.values():
        assert row["send_after"] == NOW + timedelta(minutes=1)  # due again after a minute
        assert row["attempts"] == 0  # never offered to a server: no attempt used
        assert no_address_in(row["last_error"])
        assert row["last_error"].startswith("ConnectionRefusedError")
    # Still down, and not due yet anyway.
    assert counts(send(engine, server, NOW + timedelta(seconds=30))) == (0, 0, 0)
    server.stop()
    server.start()
    # Before the retry time nothing moves; after it, everything arrives, exactly once.
    assert counts(send(engine, server, NOW + timedelta(seconds=59))) == (0, 0, 0)
    assert counts(send(engine, server, NOW + timedelta(minutes=1))) == (4, 0, 0)
    assert server.per_recipient() == {address(n): 1 for n in range(6)}
    assert all(row["sent_at"] is not None for row in rows(engine).values())
    assert counts(send(engine, server, NOW + timedelta(days=1))) == (0, 0, 0)
    assert len(server.received) == 6


def test_a_long_outage_uses_up_no_attempt(engine: Engine, server: SmtpServer) -> None:
    queue(engine, range(3))
    server.stop()
    at = NOW
    for _ in range(MAX_ATTEMPTS + 2):  # more runs than attempts allowed: still not given up
        assert counts(send(engine, server, at)) == (0, 3, 0)
        assert {row["attempts"] for row in rows(engine).values()} == {0}
        at += timedelta(minutes=1)
    server.start()
    assert counts(send(engine, server, at)) == (3, 0, 0)
    assert server.per_recipient() == {address(n): 1 for n in range(3)}


def test_a_crash_after_claiming_waits_for_the_lease(engine: Engine, server: SmtpServer) -> None:
    """A sender that claimed and died: its messages go out once its lease has ended."""
    queue(engine, range(2))
    with UnitOfWork(engine, write=True) as uow:
        claimed = outbox.claim_due(
            uow.connection,
            now=NOW,
            lease_until=NOW + timedelta(minutes=10),
            limit=10,
            max_attempts=MAX_ATTEMPTS,
        )
        uow.commit()
    assert len(claimed) == 2
    assert counts(send(engine, server, NOW + timedelta(minutes=9))) == (0, 0, 0)
    assert counts(send(engine, server, NOW + timedelta(minutes=10))) == (2, 0, 0)
    assert server.per_recipient() == {address(0): 1, address(1): 1}
    assert {row["attempts"] for row in rows(engine).values()} == {2}


# -- refusals ----------------------------------------------------------------------------------


def test_a_permanent_refusal_is_given_up_without_blocking_the_others(
    engine: Engine, server: SmtpServer
) -> None:
    server.refusals[address(2)] = f"550 5.1.1 <{address(2)}>: Recipient address rejected"
    queue(engine, range(5))
    assert counts(send(engine, server)) == (4, 0, 1)
    assert set(server.per_recipient()) == {address(n) for n in (0, 1, 3, 4)}
    refused = rows(engine)[address(2)]
    assert refused["sent_at"] is None
    assert refused["attempts"] == MAX_ATTEMPTS  # never claimed again
    assert refused["last_error"] == (
        "SMTPRecipientsRefused: 550 5.1.1 <[address]>: Recipient address rejected"
    )
    assert counts(send(engine, server, NOW + timedelta(days=30))) == (0, 0, 0)
    assert len(server.received) == 4


def test_a_temporary_refusal_is_retried_on_the_backoff_table(
    engine: Engine, server: SmtpServer
) -> None:
    server.refusals[address(0)] = f"451 4.7.1 <{address(0)}>: Greylisted, try again later"
    queue(engine, range(2))
    assert counts(send(engine, server)) == (1, 1, 0)
    row = rows(engine)[address(0)]
    assert (row["attempts"], row["send_after"]) == (1, NOW + timedelta(minutes=1))
    assert "451" in row["last_error"] and no_address_in(row["last_error"])
    second = NOW + timedelta(minutes=1)
    assert counts(send(engine, server, second - timedelta(seconds=1))) == (0, 0, 0)
    assert counts(send(engine, server, second)) == (0, 1, 0)
    row = rows(engine)[address(0)]
    assert (row["attempts"], row["send_after"]) == (2, second + timedelta(minutes=2))
    del server.refusals[address(0)]
    assert counts(send(engine, server, second + timedelta(minutes=2))) == (1, 0, 0)
    assert server.per_recipient() == {address(0): 1, address(1): 1}
    row = rows(engine)[address(0)]
    assert row["attempts"] == 3
    assert row["last_error"] is None


def test_temporary_refusals_end_after_the_last_attempt(engine: Engine, server: SmtpServer) -> None:
    server.refusals[address(0)] = "452 4.2.2 Mailbox full"
    queue(engine, range(1))
    assert counts(send(engine, server, max_attempts=2)) == (0, 1, 0)
    later = NOW + backoff(1)
    assert counts(send(engine, server, later, max_attempts=2)) == (0, 0, 1)
    assert counts(send(engine, server, later + timedelta(days=1), max_attempts=2)) == (0, 0, 0)
    row = rows(engine)[address(0)]
    assert (row["attempts"], row["sent_at"]) == (2, None)
    assert "452" in row["last_error"]


def test_a_row_that_cannot_make_an_email_is_given_up(engine: Engine, server: SmtpServer) -> None:
    queue(engine, range(2))
    with engine.begin() as connection:
        connection.execute(
            outbox_message.update()
            .where(outbox_message.c.recipient == address(0))
            .values(headers='{"From": "Autre <autre@example.com>"}')
        )
    assert counts(send(engine, server)) == (1, 0, 1)
    row = rows(engine)[address(0)]
    assert row["last_error"].startswith("cannot compose")
    assert row["attempts"] == MAX_ATTEMPTS
    assert set(server.per_recipient()) == {address(1)}


def test_the_logs_name_outbox_ids_never_addresses(
    engine: Engine, server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.refusals[address(1)] = f"550 5.1.1 <{address(1)}>: unknown"
    server.refusals[address(2)] = f"451 4.3.0 <{address(2)}>: later"
    queue(engine, range(5))
    server.go_down_after(2)  # 0 sent, 1 and 2 refused, 3 sent, then down
    with caplog.at_level(logging.DEBUG, logger="gardien"):
        assert counts(send(engine, server)) == (2, 2, 1)
    assert caplog.records
    assert "@" not in caplog.text
    ids = {recipient: row["id"] for recipient, row in rows(engine).items()}
    messages = [record.getMessage() for record in caplog.records]
    assert f"outbox {ids[address(0)]}: sent" in messages
    assert f"outbox {ids[address(3)]}: sent" in messages
    assert any(m.startswith(f"outbox {ids[address(1)]}: given up: ") for m in messages)
    assert any(m.startswith(f"outbox {ids[address(2)]}: attempt 1 failed") for m in messages)
    assert any(m.startswith(f"outbox {ids[address(4)]}: put back untried") for m in messages)


def test_the_backoff_table() -> None:
    minutes = [backoff(n) / timedelta(minutes=1) for n in range(1, 12)]
    assert minutes == [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360]
    assert backoff(1000) == timedelta(hours=6)
    with pytest.raises(ValueError, match="at least 1"):
        backoff(0)


# -- concurrency -------------------------------------------------------------------------------


class Recording:
    """A real SMTP transport that notes which outbox rows it carried (by Message-ID)."""

    def __init__(self, settings: Settings, carried: list[str]) -> None:
        self._inner = SmtpTransport(settings)
        self._carried = carried

    def send(self, *, sender: str, recipient: str, data: bytes) -> None:
        time.sleep(0.002)  # let the other sender interleave
        self._inner.send(sender=sender, recipient=recipient, data=data)
        self._carried.append(recipient)

    def close(self) -> None:
        self._inner.close()


def test_two_senders_at_once_never_send_the_same_message_twice(
    database_url: str, engine: Engine, server: SmtpServer
) -> None:
    total = 60
    queue(engine, range(total))
    carried: dict[str, list[str]] = {"a": [], "b": []}
    engines = {name: make_engine(database_url) for name in carried}

    def sender(name: str) -> None:
        def factory(settings: Settings) -> Transport:
            return Recording(settings, carried[name])

        while send_due(
            engines[name],
            settings=settings_for(server),
            clock=FixedClock(NOW),
            transport_factory=factory,
            limit=4,
        ).claimed:
            pass

    try:
        run_together(lambda: sender("a"), lambda: sender("b"))
    finally:
        for each in engines.values():
            each.dispose()
    assert not set(carried["a"]) & set(carried["b"])
    assert len(carried["a"]) + len(carried["b"]) == total
    assert server.per_recipient() == {address(n): 1 for n in range(total)}
    assert all(row["sent_at"] == NOW for row in rows(engine).values())
    assert {row["attempts"] for row in rows(engine).values()} == {1}


# -- the development sink ----------------------------------------------------------------------


def test_the_development_sink_keeps_what_the_sender_sends(engine: Engine, tmp_path: Path) -> None:
    port = free_port()
    sink = start_sink(tmp_path / "sink", port=port)
    try:
        queue(engine, range(3))
        settings = Settings(smtp_port=port, smtp_timeout=5.0)
        assert counts(send_due(engine, settings=settings, clock=FixedClock(NOW))) == (3, 0, 0)
    finally:
        sink.stop()
    files = sorted(path.name for path in (tmp_path / "sink").iterdir())
    assert len(files) == 3
    assert all(name.endswith(".eml") for name in files)
    messages = read_sink(tmp_path / "sink")
    assert [m.name for m in messages] == sorted(files, reverse=True)  # newest first
    assert sorted(m.recipients[0] for m in messages) == [address(n) for n in range(3)]
    for m in messages:
        n = int(m.recipients[0].split(".")[1].split("@")[0])
        assert m.subject == f"Lettre d'information n° {n} / Newsletter #{n}"
        assert m.sender == "ne-pas-repondre@example.org"
        assert m.header("List-Unsubscribe") == [UNSUBSCRIBE.format(n=n)]
        assert m.text is not None and f"Voici la lettre n° {n}." in m.text
        assert m.html is not None and "<p>Bonjour,</p>" in m.html
    assert read_sink(tmp_path / "absent") == []


def test_the_sink_listens_on_loopback_only(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="loopback only"):
        start_sink(tmp_path, host="0.0.0.0", port=free_port())


# -- the command line --------------------------------------------------------------------------


@pytest.fixture
def smtp_env(monkeypatch: pytest.MonkeyPatch, server: SmtpServer) -> SmtpServer:
    for name in list(os.environ):
        if name.startswith(("GARDIEN_SMTP_", "GARDIEN_DKIM_", "GARDIEN_MAIL_")):
            monkeypatch.delenv(name)
    monkeypatch.delenv("GARDIEN_POLICY", raising=False)
    monkeypatch.setenv("GARDIEN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GARDIEN_SMTP_PORT", str(server.port))
    monkeypatch.setenv("GARDIEN_NOW", NOW.isoformat())
    return server


def test_the_send_command(
    engine: Engine, database_url: str, smtp_env: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    queue(engine, range(3))
    argv = ["--database-url", database_url, "outbox", "send", "--json", "--limit", "2"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == {"sent": 2, "retry_later": 0, "given_up": 0}
    assert main(argv[:-3]) == 0
    assert capsys.readouterr().out.strip() == "outbox: 1 sent, 0 to retry later, 0 given up"
    assert smtp_env.per_recipient() == {address(n): 1 for n in range(3)}


def test_the_send_command_when_smtp_is_down(
    engine: Engine, database_url: str, smtp_env: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    queue(engine, range(2))
    smtp_env.stop()
    assert main(["--database-url", database_url, "outbox", "send", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"sent": 0, "retry_later": 2, "given_up": 0}
    assert all(row["sent_at"] is None for row in rows(engine).values())


def test_the_send_command_refuses_a_partial_dkim_configuration(
    database_url: str,
    smtp_env: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GARDIEN_DKIM_DOMAIN", "example.org")
    assert main(["--database-url", database_url, "outbox", "send"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("gardien: DKIM signing needs")
    assert "Traceback" not in captured.err


def wait_for(condition: Any, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_send_loop_runs_until_interrupted(
    engine: Engine, database_url: str, smtp_env: SmtpServer
) -> None:
    queue(engine, range(2))
    command = ["outbox", "send", "--loop", "--interval", "0.2"]
    process = subprocess.Popen(
        [sys.executable, "-m", "gardien", "--database-url", database_url, *command],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: len(smtp_env.received) == 2)
        queue(engine, range(2, 5))  # queued while the loop runs: picked up by a later run
        wait_for(lambda: len(smtp_env.received) == 5)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert out.strip().splitlines()[-1] == "stopped; in all: 5 sent, 0 to retry later, 0 given up"
    assert smtp_env.per_recipient() == {address(n): 1 for n in range(5)}


def test_the_sink_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    monkeypatch.delenv("GARDIEN_ENVIRONMENT", raising=False)
    command = ["outbox", "sink", "--dir", str(tmp_path), "--port", str(port)]
    process = subprocess.Popen(
        [sys.executable, "-m", "gardien", *command],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith(f"mail sink on 127.0.0.1:{port}")
        transport = SmtpTransport(Settings(smtp_port=port, smtp_timeout=5.0))
        with transport:
            transport.send(
                sender="ne-pas-repondre@example.org",
                recipient=address(9),
                data=b"Subject: essai\r\nTo: apprenant.9@example.org\r\n\r\nBonjour\r\n",
            )
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out.strip().endswith("mail sink stopped")
    [stored] = read_sink(tmp_path)
    assert (stored.subject, stored.recipients) == ("essai", [address(9)])
    assert stored.text is not None and stored.text.strip() == "Bonjour"
    counted = Counter(path.suffix for path in tmp_path.iterdir())
    assert counted == {".eml": 1}

"""The e-mail built from an outbox row: each header once, list headers intact, stable ids."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from gardien.mail.compose import compose, message_id, sender_address, to_bytes
from gardien.store.outbox import QueuedMessage

NOW = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)
MAIL_FROM = "SEJER <ne-pas-repondre@example.org>"
# Longer than a header line should be (78), so the policy would fold or encode it.
UNSUBSCRIBE_URL = "https://www.example.org/lettre/desabonnement?jeton=" + "Ab0-_" * 30
UNSUBSCRIBE = f"<{UNSUBSCRIBE_URL}>, <mailto:desabonnement@example.org?subject=unsubscribe>"
ONE_CLICK = "List-Unsubscribe=One-Click"
SUBJECT = (
    "Sans connexion de votre part, votre compte sera supprimé le 1er mars 2026 / "
    "Unless you sign in, your account will be deleted on 1 March 2026"
)


def queued(**changes: Any) -> QueuedMessage:
    fields: dict[str, Any] = {
        "id": 42,
        "dedupe_key": "newsletter:2026-07:7",
        "kind": "newsletter",
        "learner_id": None,
        "recipient": "lecteur.7@example.com",
        "subject": SUBJECT,
        "body": "Bonjour,\n\nVoici les nouvelles de l'été.\n",
        "created_at": NOW - timedelta(hours=1),
        "send_after": NOW,
        "sent_at": None,
        "attempts": 1,
        "last_error": None,
        "html_body": "<p>Bonjour,</p>\n<p>Voici les nouvelles de l'été.</p>\n",
        "headers": {"List-Unsubscribe": UNSUBSCRIBE, "List-Unsubscribe-Post": ONE_CLICK},
    }
    fields.update(changes)
    return QueuedMessage(**fields)


def wire(message: QueuedMessage, now: datetime = NOW) -> bytes:
    return to_bytes(compose(message, mail_from=MAIL_FROM, now=now))


def parse(raw: bytes) -> EmailMessage:
    parsed: Any = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def unix(text: str) -> str:
    return text.replace("\r\n", "\n")


def header_block(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


def test_every_header_is_present_exactly_once() -> None:
    raw = wire(queued())
    parsed = parse(raw)
    for name in (
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "MIME-Version",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
    ):
        assert len(parsed.get_all(name, [])) == 1, name
    # Counted on the wire too, at the start of a line, whatever the parser makes of it.
    headers = header_block(raw)
    assert len(re.findall(rb"(?im)^list-unsubscribe:", headers)) == 1
    assert len(re.findall(rb"(?im)^list-unsubscribe-post:", headers)) == 1
    assert parsed["From"] == MAIL_FROM
    assert parsed["To"] == "lecteur.7@example.com"
    assert parsed["Subject"] == SUBJECT


def test_list_headers_keep_their_exact_values_and_are_never_encoded() -> None:
    raw = wire(queued())
    parsed = parse(raw)
    assert parsed["List-Unsubscribe"] == UNSUBSCRIBE
    assert parsed["List-Unsubscribe-Post"] == ONE_CLICK
    headers = header_block(raw).decode("ascii")
    start = headers.index("List-Unsubscribe:")
    field = re.match(r"List-Unsubscribe:.*?\r\n(?! )", headers[start:], re.DOTALL)
    assert field is not None
    text = field.group(0)
    assert "=?" not in text  # no RFC 2047 encoded word: a client must see the URL itself
    assert f"<{UNSUBSCRIBE_URL}>" in text  # the URL whole, on one line
    lines = text.rstrip("\r\n").split("\r\n")
    assert len(lines) == 2  # folded between the two items, after the comma
    assert lines[0].endswith(",")
    assert lines[1].startswith(" <mailto:")
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in headers


def test_a_short_list_header_stays_on_one_line() -> None:
    raw = wire(queued(headers={"List-Unsubscribe": "<https://example.org/u/1>"}))
    assert b"\r\nList-Unsubscribe: <https://example.org/u/1>\r\n" in header_block(raw)


def test_the_message_is_crlf_7bit_and_folded() -> None:
    raw = wire(queued())
    assert raw.count(b"\n") == raw.count(b"\r\n")
    assert raw.isascii()  # quoted-printable bodies, encoded-word subject: no relay re-encodes
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    subject_lines = re.search(rb"\r\nSubject:.*?\r\n(?! )", raw, re.DOTALL)
    assert subject_lines is not None
    assert all(len(line) <= 78 for line in subject_lines.group(0).strip().split(b"\r\n"))


def test_the_date_is_the_clock_s() -> None:
    later = NOW + timedelta(days=3, minutes=7)
    assert parsedate_to_datetime(parse(wire(queued(), later))["Date"]) == later


def test_the_message_id_is_stable_and_names_the_row() -> None:
    first = parse(wire(queued()))["Message-ID"]
    again = parse(wire(queued(attempts=5), NOW + timedelta(hours=2)))["Message-ID"]
    assert first == again
    assert first == message_id(queued(), domain="example.org")
    assert re.fullmatch(r"<outbox-42\.[0-9a-f]{20}@example\.org>", first)
    assert "newsletter" not in first  # the key is hashed: it may name a learner
    assert parse(wire(queued(id=43)))["Message-ID"] != first
    assert parse(wire(queued(dedupe_key="newsletter:2026-08:7")))["Message-ID"] != first


def test_an_html_alternative_is_added_when_the_row_has_one() -> None:
    message = queued()
    parsed = parse(wire(message))
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" for part in parts)
    assert all(part["MIME-Version"] is None for part in parts)
    plain = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    # Text goes over the wire with CRLF line ends (RFC 5322); the words are the row's.
    assert unix(plain.get_content()) == message.body
    assert unix(html.get_content()) == message.html_body


def test_text_only_without_html() -> None:
    message = queued(html_body=None, headers=None)
    parsed = parse(wire(message))
    assert parsed.get_content_type() == "text/plain"
    assert unix(parsed.get_content()) == message.body
    assert parsed["List-Unsubscribe"] is None


def test_a_header_named_twice_in_different_cases_appears_once() -> None:
    headers = {
        "list-unsubscribe": "<https://example.org/old>",
        "List-Unsubscribe": "<https://example.org/new>",
    }
    parsed = parse(wire(queued(headers=headers)))
    assert parsed.get_all("List-Unsubscribe") == ["<https://example.org/new>"]


@pytest.mark.parametrize(
    "headers",
    [
        {"From": "Quelqu'un <autre@example.com>"},
        {"message-id": "<x@example.com>"},
        {"X-Campagne": "ete\r\nBcc: cache@example.com"},
        {"List-Unsubscribe": "<https://example.org/désabonnement>"},
    ],
)
def test_headers_that_cannot_be_sent_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="header"):
        compose(queued(headers=headers), mail_from=MAIL_FROM, now=NOW)


def test_an_address_that_is_not_ascii_is_refused() -> None:
    with pytest.raises(ValueError, match="not ASCII") as info:
        compose(queued(recipient="élève@example.org"), mail_from=MAIL_FROM, now=NOW)
    assert "@" not in str(info.value)


def test_the_envelope_sender_is_the_bare_address() -> None:
    assert sender_address(MAIL_FROM) == "ne-pas-repondre@example.org"
    with pytest.raises(ValueError, match="no e-mail address"):
        sender_address("SEJER")

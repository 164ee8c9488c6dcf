"""Turn an outbox row into the e-mail that goes on the wire.

The message is built with the standard library's ``email`` package under the SMTP policy
(CRLF line ends, headers folded at 78 characters, non-ASCII text as RFC 2047 encoded words),
with one correction: that policy folds a long URL by turning it into encoded words, which a
mail client reads as text, not as a ``List-Unsubscribe`` link. Headers that carry URLs in
angle brackets (RFC 2369) are therefore kept ASCII and folded only between their items
(:class:`MailPolicy`). Bodies are quoted-printable UTF-8: 7-bit clean, so no relay re-encodes
them and a DKIM signature over them survives.

The ``Message-ID`` is derived from the outbox id and the dedupe key, never from the clock or
chance: were a message ever sent twice (see :mod:`gardien.services.outbox_sender`), both
copies carry the same id and a mail client shows it once.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, parseaddr
from typing import Any

from gardien.store.outbox import QueuedMessage

# Headers the composer writes itself; an outbox row's extra headers may not replace them.
RESERVED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "dkim-signature",
    }
)

# RFC 2369 / RFC 8058 headers: lists of <URL>s, or a fixed token; folded between items only.
LIST_HEADERS = frozenset(
    {
        "list-unsubscribe",
        "list-unsubscribe-post",
        "list-help",
        "list-subscribe",
        "list-post",
        "list-owner",
        "list-archive",
        "list-id",
    }
)

# RFC 5322's hard limit on a line, CRLF excluded.
MAX_LINE = 998


class MailPolicy(EmailPolicy):
    """``email.policy.SMTP``, except that list headers are folded between items, never encoded.

    RFC 2369 allows folding between the comma-separated ``<URL>`` items; a single URL longer
    than the 78-character recommendation stays whole on its line (up to RFC 5322's 998).
    """

    def fold(self, name: str, value: str) -> str:
        if name.lower() in LIST_HEADERS:
            return _fold_list(name, str(value), self.linesep)
        return str(super().fold(name, value))

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() in LIST_HEADERS:
            return _fold_list(name, str(value), self.linesep).encode("ascii")
        return super().fold_binary(name, value)


SMTP_POLICY = MailPolicy(linesep="\r\n")


def _fold_list(name: str, value: str, linesep: str) -> str:
    items = [item.strip() for item in value.split(",")]
    lines = [f"{name}: {items[0]}"]
    for item in items[1:]:
        if len(lines[-1]) + len(item) + 2 <= 78:
            lines[-1] += f", {item}"
        else:
            lines[-1] += ","
            lines.append(f" {item}")
    if any(len(line) > MAX_LINE for line in lines):
        raise ValueError(f"header {name} has an item longer than a line may be")
    return linesep.join(lines) + linesep


def message_id(message: QueuedMessage, *, domain: str) -> str:
    """``<outbox-ID.HASH@domain>``: the same for every delivery of one outbox row.

    The dedupe key is hashed (it may name a learner) and its digest makes the id unique across
    databases that reuse row ids (a restored backup, a test database).
    """
    digest = hashlib.sha256(message.dedupe_key.encode("utf-8")).hexdigest()[:20]
    return f"<outbox-{message.id}.{digest}@{domain}>"


def sender_address(mail_from: str) -> str:
    """The bare address of ``GARDIEN_MAIL_FROM`` (``Name <a@b>`` gives ``a@b``)."""
    _, address = parseaddr(mail_from)
    if "@" not in address:
        raise ValueError("GARDIEN_MAIL_FROM holds no e-mail address")
    return address


def compose(message: QueuedMessage, *, mail_from: str, now: datetime) -> EmailMessage:
    """The e-mail for outbox row ``message``, dated ``now``, from ``mail_from``.

    Text/plain body, plus a text/html alternative when the row has one; the row's extra headers
    each appear exactly once (a name given twice, in any case, keeps its last value). Raises
    ``ValueError`` for a row that cannot make a valid e-mail (an extra header that would replace
    one written here, a line break in a header, a non-ASCII address); retrying it cannot help.
    """
    if not message.recipient.isascii():
        # An internationalised address needs SMTPUTF8 end to end, which gardien does not use;
        # the email package would mangle it into an encoded word. (No address in the message.)
        raise ValueError("the recipient's address is not ASCII (it would need SMTPUTF8)")
    domain = sender_address(mail_from).rpartition("@")[2]
    email = EmailMessage(policy=SMTP_POLICY)
    email["From"] = mail_from
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message_id(message, domain=domain)
    for name, value in _extra_headers(message.headers).items():
        email[name] = value
    email.set_content(message.body, subtype="plain", charset="utf-8", cte="quoted-printable")
    if message.html_body is not None:
        email.add_alternative(
            message.html_body, subtype="html", charset="utf-8", cte="quoted-printable"
        )
        for part in email.iter_parts():
            # add_alternative copies MIME-Version into the part; it belongs at the top only.
            del part["MIME-Version"]
    return email


def _extra_headers(headers: dict[str, Any] | None) -> dict[str, str]:
    """The row's headers by name, one value per name whatever its case."""
    chosen: dict[str, tuple[str, str]] = {}
    for name, value in (headers or {}).items():
        if not isinstance(value, str):
            raise ValueError(f"header {name!r} is not text")
        if name.lower() in RESERVED_HEADERS:
            raise ValueError(f"header {name!r} is written by the composer, not by the outbox")
        if name.lower() in LIST_HEADERS and not value.isascii():
            raise ValueError(f"header {name!r} must be ASCII (RFC 2369: URLs in angle brackets)")
        if "\r" in value or "\n" in value:
            raise ValueError(f"header {name!r} holds a line break")
        chosen[name.lower()] = (name, value)
    return dict(chosen.values())


def to_bytes(email: EmailMessage) -> bytes:
    """The message as sent: CRLF line ends, 7-bit, ready to sign and to hand to SMTP."""
    return email.as_bytes(policy=SMTP_POLICY)

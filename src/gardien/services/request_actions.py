"""What the DPO does to answer a request filed without an account, beyond a note or a refusal.

- **Access** (and portability): :func:`send_export_link` e-mails the person a single-use link
  to download their data, valid ``GARDIEN_EXPORT_LINK_DAYS`` days (7 by default, settings.py),
  and closes the request completed. Only the token's SHA-256 is stored (``export_link``). The
  file is the JSON export (:mod:`gardien.services.subject_export`), built when the link is
  used, so it holds the data as of that moment. :func:`use_export_link` spends the link, in
  one transaction with its audit entry (``request.export_downloaded``: the request's
  reference, nothing about the person); a second use, or a late one, is refused.
- **Rectification**: :func:`record_rectification` closes the request with the fields the DPO
  corrected and a note for the person; the audit log names the fields, never their values.
- **Erasure**: see :func:`gardien.services.console.carry_out_erasure`; what the page shows
  before is :func:`held_records` and :func:`gardien.services.erasure.preview_erasure`.

Every e-mail links the request's follow-up page (:func:`~gardien.services.requests.follow_url`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from gardien.errors import (
    ExpiredLinkError,
    InvalidInputError,
    InvalidLinkError,
    RequestStateError,
    UsedLinkError,
)
from gardien.i18n import DEFAULT_LANGUAGE, SUPPORTED
from gardien.i18n.dates import format_time
from gardien.services.accounts.context import AccountServices
from gardien.services.accounts.mails import queue_account_mail
from gardien.services.requests import (
    RequestView,
    close_row,
    follow_url,
    open_request_row,
)
from gardien.services.subject_export import open_export
from gardien.store.audit import append_audit
from gardien.store.tables import export_link, subject_request
from gardien.store.uow import UnitOfWork

EXPORT_MAIL = "request_export"
EXPORT_SENT = "request.export_sent"
EXPORT_DOWNLOADED = "request.export_downloaded"
RECTIFIED = "request.rectified"
# The kinds a download of the export answers.
EXPORT_KINDS = ("access", "portability")
MAX_NOTE = 2000


def can_send_export(view: RequestView) -> bool:
    """True for an open access (or portability) request filed without an account."""
    return not view.closed and view.kind in EXPORT_KINDS and view.identity_check == "email_link"


def can_rectify(view: RequestView) -> bool:
    """True for an open rectification request (the DPO records what was corrected)."""
    return not view.closed and view.kind == "rectification"


def held_records(uow: UnitOfWork, services: AccountServices, email: str) -> dict[str, int]:
    """How many records of each kind are held about ``email`` (the export's ``record_counts``);
    reads counts only, not the statements."""
    with open_export(
        email, uow=uow, policy=services.policy, clock=services.clock, lookup=services.lookup
    ) as export:
        counts: dict[str, int] = dict(export.envelope["record_counts"])
    return counts


def held_fields(uow: UnitOfWork, services: AccountServices, email: str) -> list[str]:
    """The fields held about ``email``, as ``record.field``, in the export's order: what a
    rectification may have corrected."""
    with open_export(
        email, uow=uow, policy=services.policy, clock=services.clock, lookup=services.lookup
    ) as export:
        envelope = export.preview(0)
    found: list[str] = []
    for category in envelope["categories"]:
        for record in category["records"]:
            for name in record.get("fields") or {}:
                dotted = f"{record['record']}.{name}"
                if dotted not in found:
                    found.append(dotted)
    return found


# -- access: a single-use download link --------------------------------------------------------


@dataclass(frozen=True)
class ExportLink:
    """A download link as its page shows it: the request it answers, until when it works."""

    reference: str
    lang: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def send_export_link(
    uow: UnitOfWork,
    services: AccountServices,
    *,
    reference: str,
    actor: str,
    valid_for: timedelta,
) -> tuple[RequestView, datetime]:
    """E-mail the person a link to download their data; close the request completed. Commits.

    One transaction: the link's digest, the e-mail (in the person's language, with the link
    and the follow-up page), the closing and its audit entries. Returns the request and when
    the link stops working. :class:`RequestStateError` unless :func:`can_send_export`.
    """
    token = secrets.token_urlsafe(32)
    now = services.now()
    expires_at = now + valid_for
    with uow:
        connection = uow.connection
        row = open_request_row(connection, reference)
        if row.kind not in EXPORT_KINDS or row.identity_check != "email_link":
            raise RequestStateError("only an access request filed without an account is sent")
        lang = _lang(row.details)
        connection.execute(
            insert(export_link).values(
                request_id=row.id,
                token_sha256=_digest(token),
                created_at=now,
                expires_at=expires_at,
            )
        )
        outcome = {
            "export_link": {"sent_at": now.isoformat(), "expires_at": expires_at.isoformat()}
        }
        queue_account_mail(
            connection,
            services,
            kind=EXPORT_MAIL,
            template="request_export",
            recipient=row.email,
            lang=lang,
            dedupe=row.reference,
            context={
                "reference": row.reference,
                "link": services.url(lang, f"/requests/export/{token}"),
                "until": format_time(expires_at, lang),
                "follow": follow_url(services, lang, row.id, row.email),
            },
        )
        append_audit(
            connection,
            action=EXPORT_SENT,
            actor=actor,
            details={"request": row.reference, "expires_at": expires_at.isoformat()},
            recorded_at=now,
        )
        # The e-mail above is the answer: no second "request answered" message.
        view = close_row(
            connection,
            services,
            row,
            status="completed",
            outcome=outcome,
            actor=actor,
            notify=False,
        )
        uow.commit()
    return view, expires_at


def _lang(details: Any) -> str:
    lang = details.get("lang") if isinstance(details, dict) else None
    return lang if isinstance(lang, str) and lang in SUPPORTED else DEFAULT_LANGUAGE


def _link_row(connection: Any, token: str, *, lock: bool = False) -> Any:
    query = (
        select(
            export_link.c.id,
            export_link.c.expires_at,
            export_link.c.used_at,
            subject_request.c.reference,
            subject_request.c.email,
            subject_request.c.details,
        )
        .join(subject_request, subject_request.c.id == export_link.c.request_id)
        .where(export_link.c.token_sha256 == _digest(token))
    )
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update(of=export_link)
    row = connection.execute(query).first()
    if row is None:
        raise InvalidLinkError("no such download link")
    return row


def _check(row: Any, now: datetime) -> ExportLink:
    link = ExportLink(reference=row.reference, lang=_lang(row.details), expires_at=row.expires_at)
    if row.used_at is not None:
        raise UsedLinkError("this download link was used already")
    if now >= row.expires_at:
        raise ExpiredLinkError("this download link has expired")
    return link


def export_link_of(uow: UnitOfWork, services: AccountServices, token: str) -> ExportLink:
    """The link ``token`` names, if it still works; :class:`UsedLinkError`,
    :class:`ExpiredLinkError` or :class:`InvalidLinkError` otherwise. Spends nothing."""
    with uow:
        row = _link_row(uow.connection, token)
    return _check(row, services.now())


def use_export_link(
    uow: UnitOfWork, services: AccountServices, token: str
) -> tuple[ExportLink, str]:
    """Spend the link ``token``: the request it answers and the address whose data to send.

    Spent before the file is written, in one transaction with its audit entry: two clicks at
    the same moment get one file (the conditional update lets one through). If the download
    then breaks, the person asks again from their follow-up page.
    """
    now = services.now()
    with uow:
        connection = uow.connection
        row = _link_row(connection, token, lock=True)
        link = _check(row, now)
        spent = connection.execute(
            update(export_link)
            .where(export_link.c.id == row.id, export_link.c.used_at.is_(None))
            .values(used_at=now)
        )
        if spent.rowcount != 1:
            raise UsedLinkError("this download link was used already")
        append_audit(
            connection,
            action=EXPORT_DOWNLOADED,
            actor="requester",
            details={"request": row.reference, "format": "json"},
            recorded_at=now,
        )
        uow.commit()
    return link, str(row.email)


# -- rectification -----------------------------------------------------------------------------


def record_rectification(
    uow: UnitOfWork,
    services: AccountServices,
    *,
    reference: str,
    fields: list[str],
    allowed: list[str],
    note: str,
    actor: str,
) -> RequestView:
    """Close a rectification completed: which fields were corrected, and a note for the person.

    ``fields`` are ``record.field`` names among ``allowed`` (what is held about the person);
    the note says what was corrected (the person reads it on the request's page). The audit
    log keeps the field names only. :class:`InvalidInputError` (``field`` names the culprit)
    without a field or a note; :class:`RequestStateError` unless :func:`can_rectify`.
    """
    chosen = [name for name in allowed if name in fields]
    if not chosen:
        raise InvalidInputError("choose at least one corrected field", field="fields")
    note = note.strip()
    if not note:
        raise InvalidInputError("say what was corrected", field="note")
    if len(note) > MAX_NOTE:
        raise InvalidInputError(f"at most {MAX_NOTE:,} characters", field="note")
    now = services.now()
    with uow:
        connection = uow.connection
        row = open_request_row(connection, reference)
        if row.kind != "rectification":
            raise RequestStateError("this request is not a rectification")
        append_audit(
            connection,
            action=RECTIFIED,
            actor=actor,
            details={"request": row.reference, "fields": chosen},
            recorded_at=now,
        )
        view = close_row(
            connection,
            services,
            row,
            status="completed",
            outcome={"rectified": chosen, "note": note},
            actor=actor,
            lang=_lang(row.details),
        )
        uow.commit()
    return view

"""Data-subject requests: recorded with their legal deadline, followed to their outcome.

A request is filed by a signed-in person (identity checked by the session) or by anyone who
proved control of an address through a signed link (``identity_check = email_link``). It is
due one month after receipt (:mod:`gardien.domain.deadlines`); the DPO may extend it by two
months while the first month runs, giving a reason the person is told by e-mail. It ends
``completed`` (with what was done) or ``refused`` (with why). Requests a signed-in learner
makes from "Mes données" (download, rectify, erase, object) are done at once and recorded
completed on the spot; the others wait in the DPO console.

The request rows are the proof of accountability (art. 5(2), 12): they are kept by the
policy's ``subject_request`` rule after closing, and an erasure does not remove them. The
audit log names requests by their reference, never by the person's address.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from gardien.domain.deadlines import Deadline
from gardien.domain.vocabulary import REQUEST_KINDS
from gardien.errors import (
    ExpiredLinkError,
    InvalidInputError,
    InvalidLinkError,
    NotFoundError,
    RequestStateError,
)
from gardien.i18n.dates import format_day
from gardien.services.accounts.context import AccountServices
from gardien.services.accounts.mails import queue_account_mail
from gardien.services.signing import address_digest, sign, unsign
from gardien.store.accounts import insert_request_once, request_id_by_verification
from gardien.store.audit import append_audit
from gardien.store.tables import subject_request
from gardien.store.uow import UnitOfWork

OPEN_STATUSES = ("open", "extended")
EXTENSION_MAIL = "request_extended"
CLOSED_MAIL = "request_closed"


@dataclass(frozen=True)
class RequestView:
    """A request as its owner and the DPO see it, with its deadline read as of ``today``."""

    id: int
    reference: str
    kind: str
    email: str
    identity_check: str
    received_at: datetime
    deadline: Deadline
    extension_reason: str | None
    status: str
    details: dict[str, Any]
    outcome: dict[str, Any] | None
    closed_at: datetime | None
    days_left: int
    overdue: bool

    @property
    def closed(self) -> bool:
        return self.status not in OPEN_STATUSES


def _view(row: Any, today: date) -> RequestView:
    deadline = Deadline(row.received_at.date(), row.due_on, row.extended_to)
    closed = row.status not in OPEN_STATUSES
    return RequestView(
        id=row.id,
        reference=row.reference,
        kind=row.kind,
        email=row.email,
        identity_check=row.identity_check,
        received_at=row.received_at,
        deadline=deadline,
        extension_reason=row.extension_reason,
        status=row.status,
        details=dict(row.details or {}),
        outcome=dict(row.outcome) if row.outcome is not None else None,
        closed_at=row.closed_at,
        days_left=deadline.days_left(today),
        overdue=deadline.is_overdue(today, closed=closed),
    )


def new_reference() -> str:
    """A reference the person can quote: short, random, unambiguous (no 0/O, 1/I)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "DSR-" + "".join(secrets.choice(alphabet) for _ in range(10))


def record_request(
    connection: Connection,
    *,
    now: datetime,
    email: str,
    kind: str,
    identity_check: str,
    details: dict[str, Any] | None = None,
    completed_with: dict[str, Any] | None = None,
    actor: str,
    region: str | None = None,
) -> RequestView:
    """Insert a request in the caller's transaction; closed at once when ``completed_with``.

    ``region``: the policy's ``controller.holiday_region``, whose holidays the deadline skips
    (``None``: metropolitan France's only).
    """
    values = _new_request(
        now=now,
        region=region,
        email=email,
        kind=kind,
        identity_check=identity_check,
        details=details,
        completed_with=completed_with,
    )
    request_id = connection.execute(
        insert(subject_request).values(**values).returning(subject_request.c.id)
    ).scalar_one()
    return _recorded(connection, request_id, values, actor=actor, now=now)


def _new_request(
    *,
    now: datetime,
    email: str,
    kind: str,
    identity_check: str,
    details: dict[str, Any] | None,
    completed_with: dict[str, Any] | None = None,
    verification: str | None = None,
    region: str | None,
) -> dict[str, Any]:
    """The row of a new request (``verification``: the digest of the link that files it)."""
    if kind not in REQUEST_KINDS:
        raise InvalidInputError(f"unknown request kind {kind!r}", field="kind")
    deadline = Deadline.starting(now.date(), region=region)
    values: dict[str, Any] = {
        "reference": new_reference(),
        "kind": kind,
        "email": email.strip().lower(),
        "identity_check": identity_check,
        "received_at": now,
        "due_on": deadline.due_on,
        "status": "open",
        "details": details or {},
        "verification_sha256": verification,
    }
    if completed_with is not None:
        values.update(status="completed", outcome=completed_with, closed_at=now)
    return values


def _recorded(
    connection: Connection, request_id: int, values: dict[str, Any], *, actor: str, now: datetime
) -> RequestView:
    """Audit a request just inserted; the request as it now reads."""
    append_audit(
        connection,
        action="request.recorded",
        actor=actor,
        details={
            "request": values["reference"],
            "kind": values["kind"],
            "identity_check": values["identity_check"],
            "status": values["status"],
        },
        recorded_at=now,
    )
    return _get(connection, request_id, now.date())


def _get(connection: Connection, request_id: int, today: date) -> RequestView:
    row = connection.execute(
        select(subject_request).where(subject_request.c.id == request_id)
    ).one()
    return _view(row, today)


def _by_reference(connection: Connection, reference: str, *, lock: bool = False) -> Any:
    query = select(subject_request).where(subject_request.c.reference == reference)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).first()
    if row is None:
        raise NotFoundError(f"no request {reference!r}")
    return row


def request_by_reference(uow: UnitOfWork, reference: str, *, today: date) -> RequestView:
    with uow:
        return _view(_by_reference(uow.connection, reference), today)


def request_by_id(uow: UnitOfWork, request_id: int, *, today: date) -> RequestView:
    with uow:
        row = uow.connection.execute(
            select(subject_request).where(subject_request.c.id == request_id)
        ).first()
    if row is None:
        raise NotFoundError("no such request")
    return _view(row, today)


def requests_of(uow: UnitOfWork, email: str, *, today: date) -> list[RequestView]:
    """A person's requests, newest first (their "my requests" page)."""
    with uow:
        rows = uow.connection.execute(
            select(subject_request)
            .where(subject_request.c.email == email.strip().lower())
            .order_by(subject_request.c.received_at.desc(), subject_request.c.id.desc())
        ).all()
    return [_view(row, today) for row in rows]


def console_requests(
    uow: UnitOfWork, *, today: date, include_closed: bool = False, limit: int = 200
) -> list[RequestView]:
    """Requests for the DPO: open ones most urgent first (fewest days left), then closed ones."""
    effective = func.coalesce(subject_request.c.extended_to, subject_request.c.due_on)
    with uow:
        open_rows = uow.connection.execute(
            select(subject_request)
            .where(subject_request.c.status.in_(OPEN_STATUSES))
            .order_by(effective, subject_request.c.received_at, subject_request.c.id)
            .limit(limit)
        ).all()
        closed_rows = (
            uow.connection.execute(
                select(subject_request)
                .where(subject_request.c.status.not_in(OPEN_STATUSES))
                .order_by(subject_request.c.closed_at.desc(), subject_request.c.id.desc())
                .limit(limit)
            ).all()
            if include_closed
            else []
        )
    return [_view(row, today) for row in (*open_rows, *closed_rows)]


def extend_request(
    uow: UnitOfWork,
    services: AccountServices,
    *,
    reference: str,
    reason: str,
    actor: str,
    lang: str = "fr",
) -> RequestView:
    """Extend by two months, with a reason the person is told by e-mail; commits."""
    reason = reason.strip()
    if not reason:
        raise InvalidInputError("give the person the reason for the extension", field="reason")
    if len(reason) > 2000:
        raise InvalidInputError("the reason is too long (2,000 characters at most)", field="reason")
    now = services.now()
    with uow:
        row = _by_reference(uow.connection, reference, lock=True)
        view = _view(row, now.date())
        if view.closed:
            raise RequestStateError("this request is closed")
        if not view.deadline.can_extend(now.date()):
            raise RequestStateError(
                "the deadline can only be extended once, within the first month"
            )
        extended = view.deadline.extend(
            now.date(), region=services.policy.controller.holiday_region
        )
        uow.connection.execute(
            update(subject_request)
            .where(subject_request.c.id == row.id)
            .values(status="extended", extended_to=extended.extended_to, extension_reason=reason)
        )
        queue_account_mail(
            uow.connection,
            services,
            kind=EXTENSION_MAIL,
            template="request_extended",
            recipient=row.email,
            lang=lang,
            dedupe=row.reference,
            context={
                "reference": row.reference,
                "reason": reason,
                "until": format_day(extended.effective_due, lang),
                "follow": follow_url(services, lang, row.id, row.email),
            },
        )
        append_audit(
            uow.connection,
            action="request.extended",
            actor=actor,
            details={"request": row.reference, "to": extended.effective_due.isoformat()},
            recorded_at=now,
        )
        uow.commit()
        return _get(uow.connection, row.id, now.date())


def close_request(
    uow: UnitOfWork,
    services: AccountServices,
    *,
    reference: str,
    status: str,
    outcome: dict[str, Any],
    actor: str,
    lang: str = "fr",
    notify: bool = True,
) -> RequestView:
    """Close a request ``completed`` or ``refused`` with what was done or why; commits.

    The person is told by e-mail unless ``notify`` is false: they read the answer on the
    page, or, after an erasure from « Mes données », an e-mail of its own says what was kept
    (:mod:`gardien.services.erasure_mail`, queued with the erasure itself).
    """
    with uow:
        row = open_request_row(uow.connection, reference)
        view = close_row(
            uow.connection,
            services,
            row,
            status=status,
            outcome=outcome,
            actor=actor,
            lang=lang,
            notify=notify,
        )
        uow.commit()
    return view


def open_request_row(connection: Connection, reference: str) -> Any:
    """The request's row, locked, when it is still open; :class:`RequestStateError` else."""
    row = _by_reference(connection, reference, lock=True)
    if row.status not in OPEN_STATUSES:
        raise RequestStateError("this request is already closed")
    return row


def close_row(
    connection: Connection,
    services: AccountServices,
    row: Any,
    *,
    status: str,
    outcome: dict[str, Any],
    actor: str,
    lang: str = "fr",
    notify: bool = True,
) -> RequestView:
    """Close an open request's row in the caller's transaction (see :func:`close_request`)."""
    if status not in ("completed", "refused"):
        raise InvalidInputError(f"a request closes completed or refused, not {status!r}")
    now = services.now()
    connection.execute(
        update(subject_request)
        .where(subject_request.c.id == row.id)
        .values(status=status, outcome=outcome, closed_at=now)
    )
    if notify:
        queue_account_mail(
            connection,
            services,
            kind=CLOSED_MAIL,
            template="request_closed",
            recipient=row.email,
            lang=lang,
            dedupe=row.reference,
            context={
                "reference": row.reference,
                "refused": status == "refused",
                "follow": follow_url(services, lang, row.id, row.email),
            },
        )
    append_audit(
        connection,
        action=f"request.{status}",
        actor=actor,
        details={"request": row.reference, "kind": row.kind},
        recorded_at=now,
    )
    return _get(connection, row.id, now.date())


# -- requests without an account: prove the address by a signed link ---------------------------

VERIFY_PURPOSE = "request-verify"
FOLLOW_PURPOSE = "request-follow"
VERIFY_MAIL = "request_verify"
FILED_MAIL = "request_filed"
VERIFY_VALIDITY_SECONDS = 24 * 3600


def send_verification(
    uow: UnitOfWork, services: AccountServices, *, email: str, kind: str, lang: str
) -> None:
    """Queue a link proving control of ``email``; the request exists only once it is followed.

    The link names the kind of request and a digest of the address, never the address: the
    person types it again on the page the link opens. Nothing about them is stored before.
    """
    address = email.strip().lower()
    token = verification_token(services, email=address, kind=kind)
    now = services.now()
    with uow:
        queue_account_mail(
            uow.connection,
            services,
            kind=VERIFY_MAIL,
            template="request_verify",
            recipient=address,
            lang=lang,
            dedupe=f"{address_digest(address)}:{now.isoformat()}",
            context={"link": services.url(lang, f"/requests/verify/{token}"), "hours": 24},
        )
        uow.commit()


def verification_token(services: AccountServices, *, email: str, kind: str) -> str:
    """The token of the link that files a ``kind`` request for ``email``, valid 24 hours."""
    if kind not in REQUEST_KINDS:
        raise InvalidInputError(f"unknown request kind {kind!r}", field="kind")
    expires = int(services.now().timestamp()) + VERIFY_VALIDITY_SECONDS
    return sign(
        services.secret,
        VERIFY_PURPOSE,
        [1, kind, address_digest(email.strip().lower()), expires],
    )


def read_verification(services: AccountServices, token: str) -> tuple[str, str]:
    """(kind, address digest) of a genuine, unexpired verification link."""
    payload = unsign(services.secret, VERIFY_PURPOSE, token)
    if len(payload) != 4 or payload[0] != 1:
        raise InvalidLinkError("unknown payload")
    _version, kind, digest, expires = payload
    if kind not in REQUEST_KINDS or not isinstance(digest, str) or not isinstance(expires, int):
        raise InvalidLinkError("unknown payload")
    if services.now().timestamp() > expires:
        raise ExpiredLinkError("link expired")
    return kind, digest


def file_verified(
    uow: UnitOfWork,
    services: AccountServices,
    *,
    token: str,
    email: str,
    details: str,
    lang: str,
) -> tuple[RequestView, str]:
    """File the request a verification link stands for; returns it and its follow-up token.

    ``email`` must be the address the link was sent to (typed again): otherwise the link is
    refused like a forged one. The person gets the follow-up link by e-mail too. A link files
    one request: followed again, even by a submission at the same moment, it returns that
    request and writes nothing (no second row, audit entry or e-mail).
    """
    kind, digest = read_verification(services, token)
    address = email.strip().lower()
    if address_digest(address) != digest:
        raise InvalidLinkError("this link was sent to another address")
    text = details.strip()
    if len(text) > 5000:
        raise InvalidInputError("at most 5,000 characters", field="details")
    now = services.now()
    # The link's digest names it: unsign accepts one spelling of a token only.
    values = _new_request(
        now=now,
        email=address,
        kind=kind,
        identity_check="email_link",
        details={"message": text, "lang": lang} if text else {"lang": lang},
        verification=hashlib.sha256(token.encode()).hexdigest(),
        region=services.policy.controller.holiday_region,
    )
    with uow:
        request_id = insert_request_once(uow.connection, values)
        if request_id is None:
            # The link was followed before, or is being followed at this moment by a
            # submission that committed first: show that request again, write nothing.
            filed = request_id_by_verification(uow.connection, values["verification_sha256"])
            view = _get(uow.connection, filed, now.date())
            return view, follow_token(services, view)
        view = _recorded(uow.connection, request_id, values, actor="requester", now=now)
        follow = follow_token(services, view)
        queue_account_mail(
            uow.connection,
            services,
            kind=FILED_MAIL,
            template="request_filed",
            recipient=address,
            lang=lang,
            dedupe=view.reference,
            context={
                "reference": view.reference,
                "due": format_day(view.deadline.due_on, lang),
                "link": follow_url(services, lang, view.id, view.email),
            },
        )
        uow.commit()
    return view, follow


def follow_token(services: AccountServices, view: RequestView) -> str:
    return _follow(services, view.id, view.email)


def _follow(services: AccountServices, request_id: int, email: str) -> str:
    return sign(services.secret, FOLLOW_PURPOSE, [1, request_id, address_digest(email)])


def follow_url(services: AccountServices, lang: str, request_id: int, email: str) -> str:
    """The request's follow-up page, as an absolute address (``GARDIEN_PUBLIC_URL``): every
    e-mail about a request links it, whoever filed it (the page needs no account)."""
    return services.url(lang, f"/requests/status/{_follow(services, request_id, email)}")


def followed_request(uow: UnitOfWork, services: AccountServices, token: str) -> RequestView:
    """The request a follow-up link names (it does not expire: the request is the person's)."""
    payload = unsign(services.secret, FOLLOW_PURPOSE, token)
    if len(payload) != 3 or payload[0] != 1 or not isinstance(payload[1], int):
        raise InvalidLinkError("unknown payload")
    try:
        view = request_by_id(uow, payload[1], today=services.clock.today())
    except NotFoundError:
        raise InvalidLinkError("no such request") from None
    if address_digest(view.email) != payload[2]:
        raise InvalidLinkError("no such request")
    return view


def view_of_row(row: Any, today: date) -> RequestView:
    """A ``subject_request`` row read as a request (for other read-only views, the history)."""
    return _view(row, today)

"""The history of closed requests: the DPO's record of what was answered, and how.

Closed requests (``completed`` or ``refused``) are kept by the policy's ``subject_request``
rule as the proof of accountability (GDPR art. 5(2)); the console lists them newest closed
first, a page at a time, filtered by kind, by outcome and by the days they were closed on, and
found by their reference or by the person's address.

The request rows keep the address as the person typed it, normalised like every stored
address (:func:`gardien.domain.lookup.normalise_address`): a search by address is an exact,
indexed equality on that normalised form, never a partial match, so the history cannot be
browsed by fragments of addresses. Keyed lookups (docs/subject-lookup.md) are for records that
outlive their person's address; a request keeps its own.

Reading the history shows addresses, so each reading is audited (``console.history_viewed``)
with what was searched *by* and how many rows were shown, never the address itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, func, select

from gardien.domain.lookup import normalise_address
from gardien.domain.vocabulary import REQUEST_KINDS
from gardien.errors import InvalidInputError
from gardien.services.requests import OPEN_STATUSES, RequestView, view_of_row
from gardien.store.audit import append_audit
from gardien.store.tables import subject_request
from gardien.store.uow import UnitOfWork

PAGE_SIZE = 25
CLOSED_STATUSES = ("completed", "refused")
HISTORY_VIEWED = "console.history_viewed"
_REFERENCE = re.compile(r"^DSR-[A-Z0-9]{10}$")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class HistoryQuery:
    """What the DPO asks the history for; every part is optional."""

    kind: str | None = None
    status: str | None = None
    closed_from: date | None = None
    closed_to: date | None = None
    search: str = ""
    page: int = 1

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in REQUEST_KINDS:
            raise InvalidInputError(f"unknown kind {self.kind!r}", field="kind")
        if self.status is not None and self.status not in CLOSED_STATUSES:
            raise InvalidInputError(f"not a closed status: {self.status!r}", field="status")
        if self.closed_from and self.closed_to and self.closed_from > self.closed_to:
            raise InvalidInputError("the first day comes after the last", field="closed_to")
        if self.page < 1:
            raise InvalidInputError("pages count from 1", field="page")
        search_kind(self.search)

    @property
    def searched_by(self) -> str | None:
        """``reference``, ``address`` or None: what the search names (never the text)."""
        return search_kind(self.search)


def search_kind(text: str) -> str | None:
    """Whether ``text`` is a reference, an address, or empty (None).

    :class:`InvalidInputError` (field ``search``) for anything else: a search is a whole
    reference or a whole address.
    """
    text = text.strip()
    if not text:
        return None
    if _REFERENCE.match(text.upper()):
        return "reference"
    if _ADDRESS.match(text):
        return "address"
    raise InvalidInputError("a whole reference (DSR-…) or a whole address", field="search")


@dataclass(frozen=True)
class HistoryPage:
    """One page of closed requests, newest closed first."""

    items: list[RequestView]
    page: int
    total: int
    page_size: int

    @property
    def pages(self) -> int:
        """How many pages the whole result fills (at least one, even empty)."""
        return max(1, -(-self.total // self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def closed_requests(
    uow: UnitOfWork,
    query: HistoryQuery,
    *,
    actor: str,
    now: datetime,
    page_size: int = PAGE_SIZE,
) -> HistoryPage:
    """The page ``query.page`` of closed requests matching ``query``; the reading is audited.

    Days are UTC days, both ends included. A page past the last shows no row.
    """
    c = subject_request.c
    conditions: list[ColumnElement[bool]] = [c.status.not_in(OPEN_STATUSES)]
    if query.kind is not None:
        conditions.append(c.kind == query.kind)
    if query.status is not None:
        conditions.append(c.status == query.status)
    if query.closed_from is not None:
        conditions.append(c.closed_at >= _start_of(query.closed_from))
    if query.closed_to is not None:
        conditions.append(c.closed_at < _start_of(query.closed_to + timedelta(days=1)))
    by = query.searched_by
    if by == "reference":
        conditions.append(c.reference == query.search.strip().upper())
    elif by == "address":
        conditions.append(c.email == normalise_address(query.search))
    with uow:
        total = uow.connection.execute(
            select(func.count()).select_from(subject_request).where(*conditions)
        ).scalar_one()
        rows = uow.connection.execute(
            select(subject_request)
            .where(*conditions)
            .order_by(c.closed_at.desc(), c.id.desc())
            .limit(page_size)
            .offset((query.page - 1) * page_size)
        ).all()
        append_audit(
            uow.connection,
            action=HISTORY_VIEWED,
            actor=actor,
            details={"by": by, "page": query.page, "count": len(rows)},
            recorded_at=now,
        )
        uow.commit()
    today = now.date()
    return HistoryPage(
        items=[view_of_row(row, today) for row in rows],
        page=query.page,
        total=int(total),
        page_size=page_size,
    )

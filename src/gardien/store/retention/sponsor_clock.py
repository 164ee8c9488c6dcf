"""Keeping ``sponsor.retention_clock`` true: the latest end of the sponsor's contracts, or the
day it was created while it has none.

The sponsor and sponsor-contact rules count from that day. Whatever writes sponsors or
contracts calls :func:`refresh_sponsor_clocks` for the sponsors it touched, in its own
transaction, so the column never disagrees with the contracts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import Connection, bindparam, func, select, update

from gardien.store.bulk import chunked
from gardien.store.tables import contract, sponsor

_CHUNK = 500


def refresh_sponsor_clocks(connection: Connection, ids: Iterable[int | None]) -> int:
    """Recompute the retention clock of the sponsors ``ids`` (``None`` ignored); rows changed."""
    wanted = sorted({i for i in ids if i is not None})
    latest = (
        select(func.max(contract.c.ends_on))
        .where(contract.c.sponsor_id == sponsor.c.id)
        .scalar_subquery()
    )
    changed = 0
    for chunk in chunked(wanted, _CHUNK):
        rows = connection.execute(
            select(sponsor.c.id, sponsor.c.created_at, sponsor.c.retention_clock, latest).where(
                sponsor.c.id.in_(chunk)
            )
        ).all()
        updates = [
            {"sponsor_id": sponsor_id, "clock": clock}
            for sponsor_id, created_at, stored, ends_on in rows
            if (clock := _day(ends_on) if ends_on is not None else _day(created_at))
            != _day_or_none(stored)
        ]
        if updates:
            connection.execute(
                update(sponsor)
                .where(sponsor.c.id == bindparam("sponsor_id"))
                .values(retention_clock=bindparam("clock")),
                updates,
            )
            changed += len(updates)
    return changed


def _day(value: object) -> date:
    """A date from what the driver returns: a date, an aware instant (its UTC day) or text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _day_or_none(value: object) -> date | None:
    return None if value is None else _day(value)

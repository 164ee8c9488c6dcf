"""Credit notes: the only way to correct an invoice, which never changes once issued.

An invoice row is immutable (a trigger on both databases refuses any UPDATE, migration 0004).
A correction is a credit note (avoir): a row of its own, kind ``credit_note``, with negative
amounts, that names the invoice it corrects and copies its billing snapshot, contract and
currency. Together, an invoice and its credit notes never credit more than was invoiced.
Design note: ``docs/invoices.md``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, func, select

from gardien.domain.clock import Clock
from gardien.errors import InvalidInputError, NotFoundError
from gardien.store.audit import append_audit
from gardien.store.tables import invoice
from gardien.store.uow import UnitOfWork

__all__ = ["cents_from_euros", "issue_credit_note"]

_NUMBER_LENGTH = 64
# "-120", "-120.5", "-120,50": a sign, units, at most two decimals after a point or a comma.
_EUROS = re.compile(r"^([+-]?)(\d+)(?:[.,](\d*))?$")


def cents_from_euros(text: str, *, field: str) -> int:
    """``"-120.50"`` (or ``"-120,50"``) as ``-12050`` cents, exactly (no float on the way).

    Raises :class:`InvalidInputError` naming ``field`` for anything else, more than two
    decimals included: an amount is never rounded without saying so.
    """
    found = _EUROS.match(text.strip())
    if found is None:
        raise InvalidInputError(f"not an amount in euros: {text!r}", field=field)
    sign, units, decimals = found.group(1), found.group(2), found.group(3) or ""
    if len(decimals) > 2:
        raise InvalidInputError(f"at most two decimals (cents): {text!r}", field=field)
    cents = int(Decimal(f"{units}.{decimals or '0'}") * 100)
    return -cents if sign == "-" else cents


def issue_credit_note(
    uow: UnitOfWork,
    *,
    clock: Clock,
    corrects: str,
    number: str,
    issued_on: date,
    amount_excl_tax_cents: int,
    tax_cents: int,
    actor: str = "cli",
) -> int:
    """Issue the credit note ``number`` correcting invoice ``corrects``; return its row id.

    The credit note copies the invoice's billing snapshot (name, address, e-mail), contract and
    currency. Its amounts are negative or zero, not both zero, and together with the invoice's
    earlier credit notes they credit no more than the invoice charged, amount and tax each.

    Raises :class:`NotFoundError` when there is no invoice ``corrects``, and
    :class:`InvalidInputError` when it is itself a credit note, when ``number`` is taken, when
    the credit note would predate the invoice, or for amounts outside those bounds. The audit
    log records the numbers and amounts only (no name, no address).
    """
    number, corrects = number.strip(), corrects.strip()
    _check_request(number, corrects, amount_excl_tax_cents, tax_cents)
    with uow:
        connection = uow.connection
        original = _lock_invoice(connection, corrects)
        if original is None:
            raise NotFoundError(f"no invoice numbered {corrects!r}")
        if original.kind != "invoice":
            raise InvalidInputError(
                f"{corrects} is a credit note: correct the invoice it corrects instead",
                field="corrects",
            )
        if _exists(connection, number):
            raise InvalidInputError(
                f"an invoice numbered {number!r} exists already", field="number"
            )
        if issued_on < original.issued_on:
            raise InvalidInputError(
                f"{issued_on.isoformat()} is before the invoice's issue date"
                f" {original.issued_on.isoformat()}",
                field="issued_on",
            )
        _check_remaining(connection, original, amount_excl_tax_cents, tax_cents)
        total = amount_excl_tax_cents + tax_cents
        inserted = connection.execute(
            invoice.insert().values(
                number=number,
                kind="credit_note",
                corrects_number=original.number,
                contract_id=original.contract_id,
                issued_on=issued_on,
                currency=original.currency,
                amount_excl_tax_cents=amount_excl_tax_cents,
                tax_cents=tax_cents,
                total_cents=total,
                billing_name=original.billing_name,
                billing_address=original.billing_address,
                billing_email=original.billing_email,
            )
        )
        (credit_note_id,) = inserted.inserted_primary_key or (None,)
        assert credit_note_id is not None
        # Numbers and amounts only: the reason for a correction, free text that may name a
        # person, is deliberately not taken (there is no column for it either).
        append_audit(
            connection,
            action="invoice.credit_note",
            actor=actor,
            details={
                "number": number,
                "corrects": original.number,
                "issued_on": issued_on.isoformat(),
                "amount_excl_tax_cents": amount_excl_tax_cents,
                "tax_cents": tax_cents,
                "total_cents": total,
                "currency": original.currency,
            },
            recorded_at=clock.now(),
        )
        uow.commit()
    return int(credit_note_id)


def _check_request(number: str, corrects: str, excl_tax: int, tax: int) -> None:
    if not number or len(number) > _NUMBER_LENGTH:
        raise InvalidInputError(f"1 to {_NUMBER_LENGTH} characters", field="number")
    if number == corrects:
        raise InvalidInputError("a credit note has a number of its own", field="number")
    for field, cents in (("amount_excl_tax", excl_tax), ("tax", tax)):
        if cents > 0:
            raise InvalidInputError(
                "a credit note's amounts are negative or zero: it takes back what the invoice"
                f" charged (write {-cents / 100:.2f}, not {cents / 100:.2f})",
                field=field,
            )
    if excl_tax == 0 and tax == 0:
        raise InvalidInputError("a credit note credits something", field="amount_excl_tax")


def _lock_invoice(connection: Connection, number: str) -> Row[Any] | None:
    query = select(invoice).where(invoice.c.number == number)
    if connection.dialect.name == "postgresql":
        # Two credit notes for one invoice at once: the second waits and then sees the first,
        # so together they cannot credit more than the invoice. (SQLite: the unit of work takes
        # the database's write lock at BEGIN.) FOR UPDATE fires no UPDATE trigger.
        query = query.with_for_update()
    return connection.execute(query).first()


def _exists(connection: Connection, number: str) -> bool:
    return (
        connection.execute(select(invoice.c.id).where(invoice.c.number == number)).first()
        is not None
    )


def _check_remaining(connection: Connection, original: Row[Any], excl_tax: int, tax: int) -> None:
    credited_excl, credited_tax = connection.execute(
        select(
            func.coalesce(func.sum(invoice.c.amount_excl_tax_cents), 0),
            func.coalesce(func.sum(invoice.c.tax_cents), 0),
        ).where(invoice.c.kind == "credit_note", invoice.c.corrects_number == original.number)
    ).one()
    # Earlier credit notes are negative: what remains is the invoice plus them.
    remaining = {
        "amount_excl_tax": original.amount_excl_tax_cents + int(credited_excl),
        "tax": original.tax_cents + int(credited_tax),
    }
    for field, cents in (("amount_excl_tax", excl_tax), ("tax", tax)):
        if -cents > remaining[field]:
            left = remaining[field]
            raise InvalidInputError(
                f"credits more than invoice {original.number} leaves to credit"
                f" ({left // 100}.{left % 100:02d} {original.currency})",
                field=field,
            )

"""Import sponsors and their contacts, contracts and the learners they cover, and invoices."""

from __future__ import annotations

from collections.abc import Sequence

from gardien.services.importing.context import ImportContext, require
from gardien.services.importing.document import ContractIn, InvoiceIn, SponsorIn
from gardien.services.importing.keys import record_error
from gardien.services.importing.report import Counts
from gardien.services.importing.sync import Key, Spec, Values, fetch_by_keys, upsert
from gardien.store.retention.sponsor_clock import refresh_sponsor_clocks
from gardien.store.tables import contract, contract_learner, invoice, sponsor, sponsor_contact

SPONSOR = Spec(
    sponsor,
    key=("ref",),
    values=("kind", "name", "email", "address", "siret"),
    on_insert=("created_at",),
)
CONTACT = Spec(sponsor_contact, key=("sponsor_id", "email"), values=("name", "phone", "role"))
CONTRACT = Spec(
    contract,
    key=("reference",),
    values=(
        "funding_type",
        "sponsor_id",
        "path_id",
        "signed_on",
        "starts_on",
        "ends_on",
        "amount_cents",
    ),
)
INVOICE = Spec(
    invoice,
    key=("number",),
    values=(
        "contract_id",
        "issued_on",
        "currency",
        "amount_excl_tax_cents",
        "tax_cents",
        "total_cents",
        "billing_name",
        "billing_address",
        "billing_email",
        # Imports bring invoices only; credit notes are issued here (services.invoices).
        "kind",
    ),
)


def import_sponsors(ctx: ImportContext, sponsors: Sequence[SponsorIn]) -> None:
    """Upsert sponsors by reference (created now when new), then their contacts by e-mail."""
    if not sponsors:
        return
    incoming: dict[Key, Values] = {
        (s.ref,): (s.kind.value, s.name, s.email, s.address, s.siret) for s in sponsors
    }
    outcome = upsert(ctx.bulk, SPONSOR, incoming, on_insert=lambda: (ctx.now,))
    ctx.report.add("sponsors", outcome.counts)
    ctx.sponsors.update({str(key[0]): id_ for key, id_ in outcome.ids().items()})
    refresh_sponsor_clocks(ctx.bulk.connection, outcome.ids().values())
    contacts: dict[Key, Values] = {
        (ctx.sponsors[s.ref], c.email): (c.name, c.phone, c.role)
        for s in sponsors
        for c in s.contacts
    }
    if contacts:
        ctx.report.add("sponsor_contacts", upsert(ctx.bulk, CONTACT, contacts).counts)


def import_contracts(ctx: ImportContext, contracts: Sequence[ContractIn]) -> None:
    """Upsert contracts by reference, then link the learners each one names."""
    if not contracts:
        return
    section = "contracts"
    sponsors = ctx.sponsor_ids(c.sponsor for c in contracts if c.sponsor is not None)
    require(section, contracts, "sponsor", sponsors, "sponsor")
    paths = ctx.path_ids(c.path for c in contracts if c.path is not None)
    require(section, contracts, "path", paths, "learning path")
    incoming: dict[Key, Values] = {
        (c.reference,): (
            c.funding_type.value,
            None if c.sponsor is None else sponsors[c.sponsor],
            None if c.path is None else paths[c.path],
            c.signed_on,
            c.starts_on,
            c.ends_on,
            c.amount_cents,
        )
        for c in contracts
    }
    # A contract that moves to another sponsor changes the clock of both.
    previous = {
        row[0]
        for row in ctx.bulk.rows_where_in(
            contract, ("sponsor_id",), "reference", [c.reference for c in contracts]
        )
    }
    outcome = upsert(ctx.bulk, CONTRACT, incoming)
    refresh_sponsor_clocks(ctx.bulk.connection, previous | set(sponsors.values()))
    ctx.report.add(section, outcome.counts)
    ctx.contracts.update({str(key[0]): id_ for key, id_ in outcome.ids().items()})
    _link_learners(ctx, contracts)


def _link_learners(ctx: ImportContext, contracts: Sequence[ContractIn]) -> None:
    # The links are added, never removed: an import states facts, it does not delete.
    learners = ctx.learner_refs(email for c in contracts for email in c.learners)
    for index, item in enumerate(contracts):
        for position, email in enumerate(item.learners):
            if email not in learners:
                raise record_error(
                    "contracts",
                    index,
                    item,
                    f"learners[{position}]",
                    f'no learner "{email}" in the document or the database',
                )
    wanted = {(ctx.contracts[c.reference], learners[e].id) for c in contracts for e in c.learners}
    if not wanted:
        return
    stored: set[tuple[int, int]] = set()
    if not ctx.bulk.is_empty(contract_learner):
        rows = ctx.bulk.rows_where_in(
            contract_learner,
            ("contract_id", "learner_id"),
            "contract_id",
            {pair[0] for pair in wanted},
        )
        stored = {(int(row[0]), int(row[1])) for row in rows}
    new = sorted(wanted - stored)
    columns = ("contract_id", "learner_id")
    ctx.bulk.execute_many(ctx.bulk.insert_sql(contract_learner, columns), new)
    ctx.report.add("contract_learners", Counts(inserted=len(new), unchanged=len(wanted) - len(new)))


def import_invoices(ctx: ImportContext, invoices: Sequence[InvoiceIn]) -> None:
    """Insert new invoices by number; an issued invoice is never changed (the total is computed).

    An invoice already stored as imported counts as unchanged. One stored with other values is
    refused, naming its number and the first field that differs (never its values): an issued
    invoice is corrected by a credit note, not by an import. The import is all or nothing, so
    such a refusal writes nothing at all.
    """
    if not invoices:
        return
    section = "invoices"
    contracts = ctx.contract_ids(i.contract for i in invoices if i.contract is not None)
    require(section, invoices, "contract", contracts, "contract")
    incoming: dict[Key, Values] = {
        (i.number,): (
            None if i.contract is None else contracts[i.contract],
            i.issued_on,
            i.currency,
            i.amount_excl_tax_cents,
            i.tax_cents,
            i.amount_excl_tax_cents + i.tax_cents,
            i.billing_name,
            i.billing_address,
            i.billing_email,
            "invoice",
        )
        for i in invoices
    }
    bulk = ctx.bulk
    stored = {} if bulk.is_empty(invoice) else fetch_by_keys(bulk, INVOICE, incoming.keys())
    for index, item in enumerate(invoices):
        found = stored.get((item.number,))
        if found is None:
            continue
        differs = _first_difference(found[1:], incoming[(item.number,)])
        if differs is not None:
            raise record_error(
                section,
                index,
                item,
                differs,
                f"invoice {item.number} is already issued and differs: issue a credit note",
            )
    # Only inserts: the stored ones are as imported, and an UPDATE would meet the trigger.
    new = [key + values for key, values in incoming.items() if key not in stored]
    columns = INVOICE.key + INVOICE.values
    bulk.execute_many(bulk.insert_sql(invoice, columns), bulk.encode(invoice, columns, new))
    ctx.report.add(section, Counts(inserted=len(new), unchanged=len(stored)))


# How a refusal names a stored column: by the document's field (kind: a credit note's number).
_INVOICE_FIELDS = {
    "contract_id": "contract",
    "total_cents": "amount_excl_tax_cents",
    "kind": "number",
}


def _first_difference(stored: Values, imported: Values) -> str | None:
    for column, old, new in zip(INVOICE.values, stored, imported, strict=True):
        if old != new:
            return _INVOICE_FIELDS.get(column, column)
    return None

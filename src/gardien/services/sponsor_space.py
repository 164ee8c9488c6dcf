"""The sponsor space: a sponsor's contact sees the contracts of that sponsor, and of each
contract's learners only what the policy lets the sponsor itself receive.

- Scoping is SQL from the account: ``account`` → ``sponsor_contact`` → ``contract.sponsor_id``.
  A contract of another sponsor is "not found", exactly like an unknown reference, so the
  space never reveals which references exist elsewhere.
- What is shown is the allowance of the policy's recipient marked ``sponsor: true`` for the
  contract's funding type (``employer`` for an employer's plan, ``school`` for a school's, in
  the default policy). A funding type without one (CPF, OPCO, online payment) shows its
  ``summary`` and no personal data.
- Showing a learner's data to a sponsor is a transmission: the records come from
  :func:`gardien.services.transmission.transmit`, which reads only the allowed columns and
  writes the disclosure log and an audit entry before returning. Listing contracts (reference,
  funding type, dates, head count) discloses nothing about a person and is not logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import orjson
from sqlalchemy import ScalarSelect, func, select

from gardien.domain.clock import Clock
from gardien.domain.disclosure import allowed_disclosure
from gardien.domain.vocabulary import FundingType
from gardien.errors import NotFoundError, PermissionDeniedError
from gardien.policy import Policy
from gardien.policy.model import Localized
from gardien.services.transmission import Target, transmit
from gardien.store.disclosure import (
    LEARNING_PATH,
    MODULE_CONTEXT,
    PATH_CONTEXT,
    category_fields,
)
from gardien.store.tables import account, contract, contract_learner, sponsor, sponsor_contact
from gardien.store.uow import UnitOfWork


@dataclass(frozen=True)
class ContractLine:
    """One contract of the sponsor, as the list shows it: no personal data."""

    reference: str
    funding_type: FundingType
    starts_on: date
    ends_on: date
    learners: int
    shows_data: bool


@dataclass(frozen=True)
class SponsorOverview:
    """The sponsor a contact belongs to, and its contracts (latest start first)."""

    sponsor_name: str
    contracts: list[ContractLine]


@dataclass(frozen=True)
class ContractView:
    """One contract as its sponsor may see it.

    ``fields`` are the allowed fields in the policy's order (the columns of ``records``);
    ``records`` are the transmitted records as sent (JSON values: dates as ISO 8601 text),
    with the ``learning_path`` key when ``learning_path`` is true; ``path_fields`` are then
    the columns of a path and of its modules, in reading order (empty otherwise). Without a
    sponsor recipient, ``recipient`` is None and there are no fields, records or log entries.
    """

    reference: str
    funding_type: FundingType
    starts_on: date
    ends_on: date
    learners: int
    summary: Localized | None
    recipient: str | None = None
    recipient_label: Localized | None = None
    legal_basis: str | None = None
    fields: tuple[str, ...] = ()
    learning_path: bool = False
    path_fields: tuple[str, ...] = ()
    records: list[dict[str, Any]] = field(default_factory=list)
    disclosure_ids: list[int] = field(default_factory=list)
    file: bytes | None = None


def sponsor_recipient(policy: Policy, funding_type: FundingType) -> str | None:
    """The recipient the policy marks ``sponsor: true`` for ``funding_type``, if any.

    Should a policy mark several, the first declared is the sponsor's: what the space shows
    is one recipient's allowance, never a union of several.
    """
    rule = policy.disclosure.get(funding_type)
    if rule is None:
        return None
    return next((name for name, r in rule.recipients.items() if r.sponsor), None)


def learning_path_fields() -> tuple[str, ...]:
    """The columns the learning path category sends, in reading order: the path's name, its
    enrolment, then each module's name and progress."""
    sent = category_fields(LEARNING_PATH)
    return (
        *PATH_CONTEXT,
        *(f for f in sent if f.startswith("enrolment.")),
        *MODULE_CONTEXT,
        *(f for f in sent if f.startswith("module_progress.")),
    )


def _sponsor_of(account_id: int) -> ScalarSelect[Any]:
    """The sponsor id of the account's contact (no row for any other kind of account)."""
    return (
        select(sponsor_contact.c.sponsor_id)
        .select_from(
            account.join(sponsor_contact, sponsor_contact.c.id == account.c.sponsor_contact_id)
        )
        .where(account.c.id == account_id, account.c.role == "sponsor_contact")
        .scalar_subquery()
    )


def _learner_count() -> ScalarSelect[Any]:
    return (
        select(func.count())
        .select_from(contract_learner)
        .where(contract_learner.c.contract_id == contract.c.id)
        .correlate(contract)
        .scalar_subquery()
    )


def sponsor_overview(uow: UnitOfWork, *, policy: Policy, account_id: int) -> SponsorOverview:
    """The sponsor of contact account ``account_id`` and its contracts.

    Raises :class:`PermissionDeniedError` when the account is not a sponsor's contact.
    """
    with uow:
        connection = uow.connection
        name = connection.execute(
            select(sponsor.c.name).where(sponsor.c.id == _sponsor_of(account_id))
        ).scalar_one_or_none()
        if name is None:
            raise PermissionDeniedError("this account is not a sponsor's contact")
        rows = connection.execute(
            select(
                contract.c.reference,
                contract.c.funding_type,
                contract.c.starts_on,
                contract.c.ends_on,
                _learner_count().label("learners"),
            )
            .where(contract.c.sponsor_id == _sponsor_of(account_id))
            .order_by(contract.c.starts_on.desc(), contract.c.reference)
        ).all()
    lines = []
    for row in rows:
        funding = FundingType(row.funding_type)
        lines.append(
            ContractLine(
                reference=row.reference,
                funding_type=funding,
                starts_on=row.starts_on,
                ends_on=row.ends_on,
                learners=int(row.learners),
                shows_data=sponsor_recipient(policy, funding) is not None,
            )
        )
    return SponsorOverview(sponsor_name=str(name), contracts=lines)


def view_contract(
    uow: UnitOfWork,
    *,
    policy: Policy,
    clock: Clock,
    account_id: int,
    reference: str,
    as_file: Callable[[ContractView], bytes] | None = None,
) -> ContractView:
    """Contract ``reference`` of the contact's sponsor, with what the sponsor may see of it.

    When the funding type has a sponsor recipient, the learners' records are transmitted to
    it (logged with actor ``sponsor_contact:<account_id>``), so ``uow`` must be a writing unit
    of work. Raises :class:`NotFoundError`, the same for an unknown reference and for a
    contract of another sponsor, before anything is read or logged.

    With ``as_file`` the contract leaves as the file it makes of the view (the CSV download):
    the view's ``file`` holds those bytes, and the log their digest, under the format ``csv``.
    """
    with uow:
        row = uow.connection.execute(
            select(
                contract.c.reference,
                contract.c.funding_type,
                contract.c.starts_on,
                contract.c.ends_on,
                _learner_count().label("learners"),
            ).where(
                contract.c.reference == reference,
                contract.c.sponsor_id == _sponsor_of(account_id),
            )
        ).one_or_none()
    if row is None:
        raise NotFoundError(f"no contract {reference!r}")
    funding = FundingType(row.funding_type)
    rule = policy.disclosure.get(funding)
    base = ContractView(
        reference=row.reference,
        funding_type=funding,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        learners=int(row.learners),
        summary=rule.summary if rule is not None else None,
    )
    recipient = sponsor_recipient(policy, funding)
    if rule is None or recipient is None:
        return base
    allowance = allowed_disclosure(policy, funding, recipient)
    learning_path = LEARNING_PATH in allowance.categories
    filled = replace(
        base,
        recipient=recipient,
        recipient_label=rule.recipients[recipient].label,
        legal_basis=allowance.basis,
        fields=allowance.fields,
        learning_path=learning_path,
        path_fields=learning_path_fields() if learning_path else (),
    )

    def with_records(document: dict[str, Any]) -> ContractView:
        [section] = document["contracts"]
        return replace(filled, records=list(section["records"]))

    shown: list[ContractView] = []

    def as_people_file(document: dict[str, Any]) -> bytes:
        assert as_file is not None
        shown.append(with_records(document))
        return as_file(shown[-1])

    sent = transmit(
        uow,
        policy=policy,
        clock=clock,
        target=Target(contract=row.reference),
        recipient=recipient,
        fmt="csv" if as_file is not None else "json",
        actor=f"sponsor_contact:{account_id}",
        render_with=as_people_file if as_file is not None else None,
    )
    if as_file is not None:
        return replace(shown[-1], disclosure_ids=sent.disclosure_ids, file=sent.payload)
    view = with_records(orjson.loads(sent.payload))
    return replace(view, disclosure_ids=sent.disclosure_ids)

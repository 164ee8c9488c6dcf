"""The sponsor space's sample: the transmission samples, two more contracts for SP-EMP (CPF and
online payment, with no sponsor recipient), a contact account per sponsor and a learner's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select

from gardien.store.tables import learner, sponsor, sponsor_contact
from tests.support.retention_samples import contract_doc, document, load
from tests.support.transmission_samples import CONTRACTS, email, load_contracts
from tests.support.web import make_account

CREATED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# Besides the shared samples (C-OPCO and C-EMP for SP-EMP, C-SCH for SP-SCH), SP-EMP also
# orders a CPF and an online-paid training: no sponsor recipient for either.
EXTRA_CONTRACTS = {"C-EMP-CPF": ("cpf", ["ana"]), "C-EMP-WEB": ("online_payment", ["fay"])}
OWN = {
    "SP-EMP": {"C-OPCO", "C-EMP", *EXTRA_CONTRACTS},
    "SP-SCH": {"C-SCH"},
}
FUNDING = {
    **{ref: funding for ref, (funding, _, _) in CONTRACTS.items()},
    **{ref: funding for ref, (funding, _) in EXTRA_CONTRACTS.items()},
}
NAMES = {
    **{ref: names for ref, (_, names, _) in CONTRACTS.items()},
    **{ref: names for ref, (_, names) in EXTRA_CONTRACTS.items()},
}


@dataclass(frozen=True)
class Space:
    """The account ids of one contact per sponsor, and of a learner."""

    contacts: dict[str, int]
    learner: int


def load_sponsor_space(engine: Engine) -> Space:
    """The transmission samples, two more SP-EMP contracts, a contact account per sponsor."""
    load_contracts(engine)
    load(
        engine,
        document(
            contracts=[
                contract_doc(
                    ref,
                    funding,
                    "2026-06-30",
                    starts_on="2025-10-01",
                    learners=[email(n) for n in names],
                    sponsor="SP-EMP",
                )
                for ref, (funding, names) in EXTRA_CONTRACTS.items()
            ]
        ),
    )
    contacts = {}
    with engine.begin() as connection:
        for ref, address in (
            ("SP-EMP", "claire.rh@example.org"),
            ("SP-SCH", "paul.scolarite@example.org"),
        ):
            sponsor_id = connection.execute(
                select(sponsor.c.id).where(sponsor.c.ref == ref)
            ).scalar_one()
            contacts[ref] = (
                connection.execute(
                    insert(sponsor_contact)
                    .values(sponsor_id=sponsor_id, name=f"Contact {ref}", email=address)
                    .returning(sponsor_contact.c.id)
                ).scalar_one(),
                address,
            )
        chloe = connection.execute(
            select(learner.c.id).where(learner.c.email == email("chloe"))
        ).scalar_one()
    accounts = {
        ref: make_account(
            engine,
            email=address,
            role="sponsor_contact",
            sponsor_contact_id=contact_id,
            created_at=CREATED,
        )
        for ref, (contact_id, address) in contacts.items()
    }
    learner_account = make_account(
        engine, email=email("chloe"), role="learner", learner_id=chloe, created_at=CREATED
    )
    return Space(contacts=accounts, learner=learner_account)

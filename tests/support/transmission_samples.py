"""Contracts of every funding type, with what a transmission may draw on (fictional people)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from tests.support.retention_samples import (
    contract_doc,
    cpf_doc,
    document,
    enrolment_doc,
    invoice_doc,
    learner_doc,
    load,
    opco_doc,
)

ACTIVE = "2026-01-10T10:00:00Z"
LEARNERS = {
    "ana": ("ana.cpf@example.org", "Ana", "Cépéef"),
    "bob": ("bob.opco@example.org", "Bob", "Opcaud"),
    "chloe": ("chloe.plan@example.org", "Chloé", "Planchet"),
    "dan": ("dan.plan@example.org", "Dan", "Plançon"),
    "eve": ("eve.ecole@example.org", "Ève", "Écolier"),
    "fay": ("fay.web@example.org", "Fay", "Enligne"),
}
# contract -> (funding type, learners, sponsor)
CONTRACTS: dict[str, tuple[str, list[str], str | None]] = {
    "C-CPF": ("cpf", ["ana"], None),
    "C-OPCO": ("opco", ["bob"], "SP-EMP"),
    "C-EMP": ("employer_plan", ["chloe", "dan"], "SP-EMP"),
    "C-SCH": ("school_plan", ["eve"], "SP-SCH"),
    "C-WEB": ("online_payment", ["fay"], None),
}
RECIPIENTS = {
    "cpf": "funding_body",
    "opco": "opco",
    "employer_plan": "employer",
    "school_plan": "school",
}


def email(name: str) -> str:
    return LEARNERS[name][0]


def transmission_document() -> dict[str, Any]:
    contracts = [
        contract_doc(
            ref,
            funding,
            "2026-06-30",
            starts_on="2025-09-01",
            learners=[email(n) for n in names],
            sponsor=sponsor,
        )
        for ref, (funding, names, sponsor) in CONTRACTS.items()
    ]
    return document(
        sponsors=[
            {"ref": "SP-EMP", "kind": "organisation", "name": "Menuiserie Fictive SAS"},
            {"ref": "SP-SCH", "kind": "organisation", "name": "Lycée Imaginaire"},
        ],
        learners=[learner_doc(*values, ACTIVE) for values in LEARNERS.values()],
        contracts=contracts,
        enrolments=[
            enrolment_doc(email(n), ref, updated="2026-01-05T10:00:00Z")
            for ref, (_, names, _) in CONTRACTS.items()
            for n in names
        ],
        cpf_dossiers=[cpf_doc("EDOF-000001", "C-CPF", email("ana"))],
        opco_dossiers=[
            opco_doc(
                "OPCO-AG-1",
                "C-OPCO",
                email("bob"),
                "Bob Opcaud",
                start="2025-09-01",
                end="2026-06-30",
            )
        ],
        invoices=[
            invoice_doc(
                "F-OPCO-1",
                "2025-10-01",
                name="Menuiserie Fictive SAS",
                email=None,
                contract_ref="C-OPCO",
            ),
            invoice_doc(
                "F-EMP-1",
                "2025-10-01",
                name="Menuiserie Fictive SAS",
                email=None,
                contract_ref="C-EMP",
            ),
        ],
    )


def load_contracts(engine: Engine) -> None:
    load(engine, transmission_document())

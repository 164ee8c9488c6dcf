"""A CPF dossier for the ``gardien cpf`` tests, brought in through the import as EDOF reports it.

This module holds no test. The learner is fictional; her address is on a reserved domain.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, select

from gardien.domain.clock import FixedClock
from gardien.domain.vocabulary import CpfStatus as S
from gardien.store.tables import audit_entry, cpf_dossier, learner
from tests.support.retention_samples import contract_doc, cpf_doc, document, learner_doc, load

EMAIL = "maelle.fictive@example.org"
GIVEN, FAMILY = "Maëlle", "Fictive"
EDOF = "EDOF-2025-000417"
CONTRACT = "CT-CPF-417"
ENTRY = date(2025, 3, 3)
EXIT = date(2025, 4, 30)


def clock(day: int, month: int = 5) -> FixedClock:
    """10:00 UTC on a day of 2025 (May unless told)."""
    return FixedClock(datetime(2025, month, day, 10, 0, tzinfo=UTC))


def load_dossier(engine: Engine, status: S = S.ACCEPTED, **fields: Any) -> None:
    """Import one learner, her CPF contract and its dossier, in ``status`` as EDOF reports."""
    dossier = {
        **cpf_doc(EDOF, CONTRACT, EMAIL),
        "status": status.value,
        "entry_date": None,
        "exit_date": None,
        "completion_rate": None,
        "exit_reason": None,
        "certification_result": None,
        **fields,
    }
    load(
        engine,
        document(
            learners=[learner_doc(EMAIL, GIVEN, FAMILY, "2025-02-20T09:00:00Z")],
            contracts=[
                contract_doc(
                    CONTRACT, "cpf", "2025-06-30", learners=[EMAIL], starts_on="2025-03-03"
                )
            ],
            cpf_dossiers=[dossier],
        ),
    )


def row(engine: Engine) -> dict[str, Any]:
    """The dossier's row, every column."""
    with engine.connect() as connection:
        found = connection.execute(
            select(cpf_dossier).where(cpf_dossier.c.edof_number == EDOF)
        ).one()
    return dict(found._mapping)


def audit(engine: Engine) -> list[tuple[str, str, dict[str, Any]]]:
    """Every audit entry as (action, actor, details), in chain order."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(audit_entry.c.action, audit_entry.c.actor, audit_entry.c.details).order_by(
                audit_entry.c.id
            )
        ).all()
    return [(action, actor, dict(details)) for action, actor, details in rows]


def pseudonym(engine: Engine) -> str:
    """The learner's pseudonym."""
    with engine.connect() as connection:
        found = connection.execute(select(learner.c.pseudonym).where(learner.c.email == EMAIL))
        return str(found.scalar_one())

"""Funding dossiers: CPF (EDOF) and OPCO.

A CPF dossier lives with the learner. An OPCO dossier keeps its own snapshot of the trainee's
name and outlives the learner's erasure, until 72 months after the training ends.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Date, Float, ForeignKey, Integer, String, Table

from gardien.store.classify import SURROGATE, lookup_column, not_personal, personal
from gardien.store.metadata import metadata
from gardien.store.types import UTCDateTime, json_document

CPF = personal("funding_administrative")
OPCO = personal("opco_evidence")

cpf_dossier = Table(
    "cpf_dossier",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column("edof_number", String(32), nullable=False, unique=True, info=CPF),
    Column("contract_id", ForeignKey("contract.id"), nullable=False, index=True, info=CPF),
    Column("learner_id", ForeignKey("learner.id"), nullable=False, index=True, info=CPF),
    Column("status", String(20), nullable=False, info=CPF),
    Column("entry_date", Date, nullable=True, info=CPF),
    Column("exit_date", Date, nullable=True, info=CPF),
    Column("completion_rate", Integer, nullable=True, info=CPF),
    Column("exit_reason", String(100), nullable=True, info=CPF),
    Column("certification_result", String(100), nullable=True, info=CPF),
    Column("updated_at", UTCDateTime(), nullable=False, info=CPF),
    CheckConstraint("completion_rate BETWEEN 0 AND 100", name="completion_percent"),
    CheckConstraint(
        "status IN ('accepted', 'in_training', 'terminated', 'service_declared',"
        " 'service_validated', 'cancelled', 'refused')",
        name="edof_status",
    ),
)

opco_dossier = Table(
    "opco_dossier",
    metadata,
    Column("id", Integer, primary_key=True, info=SURROGATE),
    Column(
        "agreement_reference",
        String(64),
        nullable=False,
        unique=True,
        info=not_personal("funding agreement number"),
    ),
    Column("contract_id", ForeignKey("contract.id"), nullable=False, index=True, info=OPCO),
    # Set to NULL when the learner is erased; the snapshot below is what the OPCO needs.
    Column("learner_id", ForeignKey("learner.id"), nullable=True, index=True, info=OPCO),
    Column("opco_name", String(200), nullable=False, info=not_personal("funding body")),
    Column("trainee_name", String(200), nullable=False, info=OPCO),
    Column("employer_name", String(200), nullable=False, info=not_personal("organisation")),
    Column("training_title", String(200), nullable=False, info=not_personal("catalogue")),
    Column("training_start", Date, nullable=False, info=OPCO),
    # Clock of the OPCO rule (72 months after the training ends).
    Column("training_end", Date, nullable=False, index=True, info=OPCO),
    Column("duration_hours", Float, nullable=False, info=OPCO),
    Column("certificate_ref", String(200), nullable=True, info=OPCO),
    Column("attendance_summary", json_document(), nullable=True, info=OPCO),
    # Written when the learner goes: how the person still finds the dossier.
    lookup_column("opco_evidence"),
)

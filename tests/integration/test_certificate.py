"""The certificate of completion of an OPCO dossier loaded through the import, read back as text.

Every test runs on SQLite and on PostgreSQL. The trainee, the employer and the OPCO are
fictional.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from gardien.domain.clock import FixedClock
from gardien.errors import NotFoundError
from gardien.services.documents import (
    CertificateData,
    certificate_data_from,
    certificate_of_completion,
    dossier_id_by_agreement,
)
from gardien.services.erasure import erase_subject
from gardien.store.tables import opco_dossier
from gardien.store.uow import UnitOfWork
from tests.support.lookup import LOOKUP
from tests.support.retention_samples import (
    contract_doc,
    default_policy,
    document,
    learner_doc,
    load,
    opco_doc,
    rows,
)

EMAIL = "camille.fictive@example.org"
AGREEMENT = "AC-2024-0042"
ISSUED = date(2024, 12, 2)
ATTENDANCE = {"connections": 14, "hours_connected": 12.5, "activities_completed": 32}


@pytest.fixture
def dossier(engine: Engine) -> int:
    """The id of an OPCO dossier (Camille Fictive, 35 hours) loaded through the import."""
    record = opco_doc(AGREEMENT, "C-OPCO-1", EMAIL, "Fictive", start="2024-09-02", end="2024-11-29")
    record["attendance_summary"] = ATTENDANCE
    load(
        engine,
        document(
            learners=[learner_doc(EMAIL, "Camille", "Fictive", "2024-11-29T16:00:00Z")],
            contracts=[
                contract_doc(
                    "C-OPCO-1", "opco", "2024-11-29", starts_on="2024-09-02", learners=[EMAIL]
                )
            ],
            opco_dossiers=[record],
        ),
    )
    with engine.connect() as connection:
        return dossier_id_by_agreement(connection, AGREEMENT)


def data(engine: Engine, dossier_id: int, lang: str = "fr") -> CertificateData:
    with engine.connect() as connection:
        return certificate_data_from(
            connection, dossier_id, policy=default_policy(), issued_on=ISSUED, lang=lang
        )


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_data_come_from_the_dossier_and_the_policy(engine: Engine, dossier: int) -> None:
    controller = default_policy().controller
    assert data(engine, dossier) == CertificateData(
        controller_name=controller.name,
        controller_address=controller.address,
        agreement_reference=AGREEMENT,
        opco_name="OPCO Équinoxe",
        trainee_name="Camille Fictive",
        employer_name="Menuiserie Fictive SAS",
        training_title="Français A2",
        training_start=date(2024, 9, 2),
        training_end=date(2024, 11, 29),
        duration_hours=35.0,
        attendance_summary=ATTENDANCE,
        issued_on=ISSUED,
        lang="fr",
    )


def test_the_french_certificate_renders(engine: Engine, dossier: int) -> None:
    text = text_of(certificate_of_completion(data(engine, dossier)))
    for expected in (
        "Certificat de réalisation",
        default_policy().controller.name,
        "Camille Fictive",
        "Menuiserie Fictive SAS",
        "Français A2",
        "OPCO Équinoxe",
        AGREEMENT,
        "du 02/09/2024 au 29/11/2024",
        "35 heures",
        "Nombre de connexions 14",
        "Heures de connexion 12,5",
        "Activités réalisées 32",
        "atteste que",
        "certifie que cette action a été réalisée",
        "Fait à Paris, le 02/12/2024",
    ):
        assert expected in text, expected


def test_the_english_certificate_renders(engine: Engine, dossier: int) -> None:
    text = text_of(certificate_of_completion(data(engine, dossier, lang="en")))
    for expected in (
        "Certificate of completion",
        "Camille Fictive",
        "Menuiserie Fictive SAS",
        "Français A2",
        "from 2 September 2024 to 29 November 2024",
        "35 hours",
        "Connections 14",
        "Hours connected 12.5",
        "Activities completed 32",
        "certify that",
        "Done at Paris, on 2 December 2024",
    ):
        assert expected in text, expected
    assert "Certificat de réalisation" not in text


def test_unknown_attendance_keys_are_shown_as_named(engine: Engine, dossier: int) -> None:
    summary = {"quizzes_passed": 3, "forum_posts": 2, "final_test_passed": True}
    text = text_of(
        certificate_of_completion(replace(data(engine, dossier), attendance_summary=summary))
    )
    for expected in ("Évaluations réussies 3", "Forum posts 2", "Final test passed oui"):
        assert expected in text, expected


def test_a_dossier_without_attendance_has_no_attendance_section(
    engine: Engine, dossier: int
) -> None:
    text = text_of(
        certificate_of_completion(replace(data(engine, dossier), attendance_summary=None))
    )
    assert "Relevé de connexions" not in text
    assert "Camille Fictive" in text


def test_the_certificate_outlives_the_learners_erasure(engine: Engine, dossier: int) -> None:
    before = certificate_of_completion(data(engine, dossier))
    erase_subject(
        EMAIL,
        uow=UnitOfWork(engine, write=True),
        policy=default_policy(),
        clock=FixedClock.on(date(2025, 1, 6)),
        lookup=LOOKUP,
    )
    (kept,) = rows(engine, opco_dossier)
    assert kept["learner_id"] is None
    assert certificate_of_completion(data(engine, dossier)) == before


def test_a_missing_dossier_is_not_found(engine: Engine, dossier: int) -> None:
    with pytest.raises(NotFoundError, match="no OPCO dossier with id"):
        data(engine, dossier + 1)
    with engine.connect() as connection, pytest.raises(NotFoundError, match="AC-0000"):
        dossier_id_by_agreement(connection, "AC-0000")

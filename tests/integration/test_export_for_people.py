"""The zip of the subject export, as the service writes it for people, on both databases:
labelled columns, values in words, nested data as text, the policy's rule labels, a README."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from sqlalchemy import Engine

from gardien.domain.clock import FixedClock
from gardien.policy import DEFAULT_POLICY_PATH, Policy, load_policy
from gardien.services.subject_export import open_export
from gardien.store.catalogue import record_catalogue
from gardien.store.uow import UnitOfWork
from tests.support.lookup import LOOKUP
from tests.support.subject_samples import AS_OF, CAMILLE, load_samples


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(DEFAULT_POLICY_PATH, catalogue=record_catalogue())


def zipped(engine: Engine, policy: Policy, lang: str) -> dict[str, str]:
    with open_export(
        CAMILLE, uow=UnitOfWork(engine), policy=policy, clock=FixedClock.on(AS_OF), lookup=LOOKUP
    ) as export:
        data = b"".join(export.zip_chunks(lang))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8-sig") for name in archive.namelist()}


def table(files: dict[str, str], name: str, separator: str) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(files[name], newline=""), delimiter=separator))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_the_french_zip_reads_as_a_person_writes(engine: Engine, policy: Policy) -> None:
    load_samples(engine)
    files = zipped(engine, policy, "fr")
    names = list(files)
    assert (names[0], names[-1]) == ("README.txt", "export.json")
    opco = table(files, "10-dossier-de-financement-opco.csv", ";")[0]
    assert opco["Assiduité"] == "Connexions : 14"  # {'connections': 14}, flattened
    assert opco["Début de la formation"] == "08/01/2024"
    assert opco["Fin de conservation"] == "28/06/2030"
    assert "Justification auprès de l'OPCO" in opco["Conservé plus longtemps"]
    invoice = table(files, "08-facturation.csv", ";")[0]
    assert invoice["Total"] == "600,00\xa0€"
    assert invoice["Règle de conservation"].startswith("Factures et données personnelles")
    assert "120 mois" in invoice["Règle de conservation"]
    account = table(files, "02-authentification.csv", ";")[0]
    assert (account["Mot de passe défini"], account["Second facteur activé"]) == ("Oui", "Non")
    assert account["Type de compte"] == "apprenant"
    identity = table(files, "01-identite.csv", ";")[0]
    assert identity["Conservé plus longtemps"] == (
        "Conservé jusqu'au 30/06/2026 selon la règle « Courriel de l'utilisateur et référence"
        " de son dernier contrat » : Adresse électronique"
    )
    newsletter = table(files, "12-lettre-d-information.csv", ";")[0]
    assert newsletter["Fin de conservation"] == "jusqu'à la désinscription"
    assert newsletter["Consentement recueilli par"] == "le formulaire en bas du site"
    readme = files["README.txt"]
    for name in files:
        if name.endswith(".csv"):
            assert name in readme
    assert "Factures et données personnelles associées — 120 mois" in readme
    assert "Conservé après un effacement : Conservation des pièces comptables" in readme
    for text in (files[name] for name in files if name.endswith(".csv")):
        assert not any(mark in text for mark in ("{'", '{"', "True", "False", "learner_data"))


def test_the_english_zip_has_english_labels_and_commas(engine: Engine, policy: Policy) -> None:
    load_samples(engine)
    files = zipped(engine, policy, "en")
    modules = table(files, "04-learning-path-modules.csv", ",")[0]
    assert modules == {
        "Learning path": "FLE-A2",
        "Module": "M1",
        "Status": "passed",
        "Score": "80%",
        "Last updated": "31 August 2024 20:00",
        "Title of the module": "Se présenter",
        "Kept until": "28 February 2026 (period over: erasure is due)",
        "Retention rule": "Learners' personal data (18 months after the last activity)",
        "Kept longer": "",
    }
    assert "separated by “,”" in files["README.txt"]

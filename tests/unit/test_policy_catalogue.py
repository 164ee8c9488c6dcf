"""The record catalogue: what records and fields a policy may name."""

from __future__ import annotations

from gardien.policy import RecordCatalogue
from gardien.store.catalogue import record_catalogue


def test_records_and_fields() -> None:
    catalogue = RecordCatalogue(fields={"learner": frozenset({"email", "given_name"})})
    assert catalogue.has_record("learner")
    assert not catalogue.has_record("invoice")
    assert catalogue.has_field("learner.email")
    assert not catalogue.has_field("learner.phone")
    assert not catalogue.has_field("invoice.number")
    assert not catalogue.has_field("learner")


def test_the_store_offers_every_table_as_a_record() -> None:
    catalogue = record_catalogue()
    assert catalogue.has_field("invoice.billing_name")
    assert catalogue.has_field("opco_dossier.training_end")
    assert not catalogue.has_record("alembic_version")

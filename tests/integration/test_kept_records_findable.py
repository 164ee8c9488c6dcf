"""What a legal duty keeps stays findable by its person, through ``gardien subject export``,
after the learner's purge and after an erasure: the OPCO dossier and the invoice, each with the
reason the law keeps it and until when. The rows carry a keyed lookup of the address, which
holds neither the address nor any unkeyed hash of it."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select

from gardien.cli.main import main
from gardien.store.tables import invoice, opco_dossier
from tests.integration.test_erasure import DOSSIER, INVOICE, ZELIE, load_zelie
from tests.support.lookup import LOOKUP

pytestmark = pytest.mark.integration

# Zélie's last activity is 10 May 2026: her account expires 18 months later; her OPCO
# dossier (training ended 19 Dec 2025) is kept 72 months, her invoice 120.
AFTER_PURGE = date(2027, 12, 1)
ERASED_ON = date(2026, 6, 1)


def cli(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["--database-url", url, *args]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def kept_records(exported: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The OPCO dossier and the invoice as the export shows them, by record kind."""
    found = {}
    for category in exported["categories"]:
        for record in category["records"]:
            if record["record"] in ("opco_dossier", "invoice"):
                found[record["record"]] = record
    return found


def assert_keyed_only(engine: Engine, *, invoice_marked: bool) -> None:
    """The lookup is the keyed one, and nothing a dictionary attack could reverse.

    A purge leaves the invoice as it was (its billing snapshot names the address under the
    accounting duty); an erasure marks it too, so it stays findable whatever the hold keeps.
    """
    plain = [ZELIE, f"mailto:{ZELIE}"]
    unkeyed = [
        digest(text.encode()).hexdigest()
        for text in plain
        for digest in (hashlib.sha256, hashlib.sha1, hashlib.md5)
    ]
    with engine.connect() as connection:
        dossier = connection.execute(
            select(opco_dossier.c.subject_lookup).where(
                opco_dossier.c.agreement_reference == DOSSIER
            )
        ).scalar_one()
        billed = connection.execute(
            select(invoice.c.subject_lookup).where(invoice.c.number == INVOICE)
        ).scalar_one()
    lookups = [dossier, billed] if invoice_marked else [dossier]
    assert lookups == [LOOKUP.of(ZELIE)] * len(lookups)
    for value in lookups:
        assert ZELIE not in value
        assert not any(digest in value for digest in unkeyed)


def test_after_the_purge_the_export_still_lists_what_the_law_keeps(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    load_zelie(engine)
    swept = cli(capsys, database_url, "sweep", "--as-of", AFTER_PURGE.isoformat(), "--json")
    learners = next(rule for rule in swept["rules"] if rule["rule"] == "learner_data")
    assert learners["expired"] >= 1
    exported = cli(
        capsys, database_url, "subject", "export", "--email", ZELIE, "--as-of", "2027-12-01"
    )
    assert exported["found"] is True
    assert "learner" not in exported["record_counts"]
    kept = kept_records(exported)
    assert kept["opco_dossier"]["context"]["agreement_reference"] == DOSSIER
    assert kept["invoice"]["context"]["number"] == INVOICE
    for record in kept.values():
        retention = record["retention"]
        assert retention["status"] == "running"
        assert retention["ends_on"] > AFTER_PURGE.isoformat()
        duty = retention["legal_duty"]
        assert duty["legal_basis"] == "legal_obligation"
        assert duty["reason"]["fr"] and duty["reason"]["en"]
    assert_keyed_only(engine, invoice_marked=False)


def test_after_an_erasure_the_export_lists_what_was_kept_with_reason_and_end(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    load_zelie(engine)
    as_of = ERASED_ON.isoformat()
    erased = cli(
        capsys,
        database_url,
        "subject",
        "erase",
        "--email",
        ZELIE,
        "--yes",
        "--json",
        "--as-of",
        as_of,
    )
    until = {kept["record"]: kept["until"] for kept in erased["kept"]}
    assert set(until) == {"opco_dossier", "invoice"}
    exported = cli(capsys, database_url, "subject", "export", "--email", ZELIE, "--as-of", as_of)
    assert exported["found"] is True
    kept = kept_records(exported)
    assert set(kept) == {"opco_dossier", "invoice"}
    for record, shown in kept.items():
        # The same end date the erasure announced, and the same reason.
        assert shown["retention"]["ends_on"] == until[record]
        reason = next(k["reason"] for k in erased["kept"] if k["record"] == record)
        assert shown["retention"]["legal_duty"]["reason"] == reason
    assert_keyed_only(engine, invoice_marked=True)

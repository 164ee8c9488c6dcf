"""The erasure ledger on disk: append-only, listed in order, keyed pseudonyms only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gardien.domain.lookup import SubjectLookup
from gardien.errors import ErasureLedgerError
from gardien.services.subject_export import subject_keys
from gardien.store.erasure_ledger import FileErasureLedger, LedgerEntry, new_entry

LOOKUP = SubjectLookup("Vq3xZ9kLm2Np7Rt5Wy8Bc4Df6Gh1Jk0Qs-_AaEeIiOoUu")
EMAIL = "Ombeline.Kerhervy@example.org"
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
LINEAGE = "0123456789abcdef0123456789abcdef"
OTHER_LINEAGE = "fedcba9876543210fedcba9876543210"


def entry_for(email: str, at: datetime = NOW) -> LedgerEntry:
    keys = subject_keys(email, LOOKUP)
    return new_entry(now=at, lookups=keys.lookups, agent_names=keys.agent_names)


def test_an_entry_is_written_once_and_read_back(tmp_path: Path) -> None:
    ledger = FileErasureLedger(tmp_path / "ledger")
    entry = entry_for(EMAIL)
    ledger.append(LINEAGE, entry)
    assert list(ledger.ids(LINEAGE)) == [entry.id]
    assert ledger.read(LINEAGE, entry.id) == entry
    with pytest.raises(ErasureLedgerError, match="exists already"):
        ledger.append(LINEAGE, entry)  # never rewritten
    assert ledger.read(LINEAGE, entry.id) == entry


def test_entries_are_listed_oldest_first_and_other_files_ignored(tmp_path: Path) -> None:
    ledger = FileErasureLedger(tmp_path)
    later = entry_for("b@example.org", NOW.replace(hour=12))
    earlier = entry_for("a@example.org", NOW)
    ledger.append(LINEAGE, later)
    ledger.append(LINEAGE, earlier)
    (tmp_path / LINEAGE / "notes.txt").write_text("not an entry")
    assert list(ledger.ids(LINEAGE)) == [earlier.id, later.id]
    assert list(ledger.ids(OTHER_LINEAGE)) == []  # another database's entries stay apart
    assert list(FileErasureLedger(tmp_path / "missing").ids(LINEAGE)) == []


def test_an_entry_holds_keyed_pseudonyms_never_the_address(tmp_path: Path) -> None:
    ledger = FileErasureLedger(tmp_path)
    entry = entry_for(EMAIL)
    ledger.append(LINEAGE, entry)
    [written] = list((tmp_path / LINEAGE).iterdir())
    text = written.read_text().lower()
    assert "ombeline" not in text and "kerhervy" not in text and "example.org" not in text
    data = json.loads(text)
    assert set(data) == {"id", "kind", "recorded_at", "lookups", "agent_names"}
    assert data["lookups"] == [LOOKUP.of(EMAIL)]


def test_an_entry_that_does_not_name_itself_is_refused(tmp_path: Path) -> None:
    ledger = FileErasureLedger(tmp_path)
    first, second = entry_for("a@example.org"), entry_for("b@example.org")
    ledger.append(LINEAGE, first)
    (tmp_path / LINEAGE / f"{first.id}.json").write_bytes(second.as_bytes())
    with pytest.raises(ErasureLedgerError, match="does not name itself"):
        ledger.read(LINEAGE, first.id)

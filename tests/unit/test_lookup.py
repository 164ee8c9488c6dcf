"""Keyed lookups of addresses: stable, normalised, keyed, and rotatable."""

from __future__ import annotations

import hashlib

import pytest

from gardien.bootstrap import bootstrap
from gardien.domain.lookup import LOOKUP_LENGTH, SubjectLookup
from gardien.settings import Settings

pytestmark = pytest.mark.unit

ADDRESS = "camille.fictive@example.org"


def test_a_lookup_is_stable_and_reads_the_address_as_records_store_it() -> None:
    lookup = SubjectLookup("a server secret")
    assert lookup.of(ADDRESS) == lookup.of("  Camille.Fictive@EXAMPLE.org ")
    assert lookup.of(ADDRESS) != lookup.of("camille.autre@example.org")
    value = lookup.of(ADDRESS)
    key_id, _, digest = value.partition(":")
    assert key_id == lookup.key_id and len(key_id) == 8
    assert len(value) == LOOKUP_LENGTH and int(digest, 16) >= 0


def test_without_the_key_a_lookup_says_nothing_of_the_address() -> None:
    value = SubjectLookup("a server secret").of(ADDRESS)
    assert ADDRESS not in value
    for digest in (hashlib.sha256, hashlib.sha1, hashlib.md5):
        assert digest(ADDRESS.encode()).hexdigest() not in value
    # Another secret gives another lookup: the table alone cannot be matched against guesses.
    assert SubjectLookup("another secret").of(ADDRESS) != value


def test_rows_written_under_a_retired_key_are_still_found() -> None:
    old = SubjectLookup("the secret of last year")
    new = SubjectLookup("the secret of this year", previous=["the secret of last year"])
    assert new.of(ADDRESS) != old.of(ADDRESS)  # new rows: the new key
    assert new.candidates(ADDRESS) == [new.of(ADDRESS), old.of(ADDRESS)]
    assert new.key_id != old.key_id


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        SubjectLookup("")


def test_the_container_takes_retired_secrets_from_the_environment() -> None:
    settings = Settings(
        secret_key="the secret of this year",
        previous_secret_keys=" the secret of last year , ,older one",
    )
    assert settings.retired_secrets == ["the secret of last year", "older one"]
    lookup = bootstrap(settings).lookup
    assert lookup.candidates(ADDRESS) == [
        SubjectLookup("the secret of this year").of(ADDRESS),
        SubjectLookup("the secret of last year").of(ADDRESS),
        SubjectLookup("older one").of(ADDRESS),
    ]
    assert "last year" not in repr(settings) and "last year" not in repr(lookup)

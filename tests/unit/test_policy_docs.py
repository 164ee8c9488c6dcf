"""docs/policy.md stays true: its example validates and its tables match the code."""

from __future__ import annotations

import re
from pathlib import Path

from gardien.domain.clocks import RETENTION_CLOCKS
from gardien.domain.vocabulary import FundingType, LegalBasis
from gardien.policy import parse_policy
from gardien.store.catalogue import record_catalogue

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
SMALL = ROOT / "tests" / "fixtures" / "policies" / "small.yaml"


def test_the_example_is_the_small_fixture_and_validates() -> None:
    example = re.findall(r"```yaml\n(.*?)```", DOC, flags=re.DOTALL)[-1]
    fixture = "".join(
        line for line in SMALL.read_text("utf-8").splitlines(True) if not line.startswith("#")
    )
    assert example == fixture
    policy = parse_policy(example, source="docs/policy.md", catalogue=record_catalogue())
    assert policy.retention["learners"].months == 24


def test_the_clock_table_lists_every_clock() -> None:
    rows = set(re.findall(r"^\| `(\w+)` \| `(\w+)` \|", DOC, flags=re.MULTILINE))
    assert rows - {("record", "clock")} == set(RETENTION_CLOCKS)


def test_every_funding_type_and_legal_basis_is_documented() -> None:
    for value in [*FundingType, *LegalBasis]:
        assert f"`{value.value}`" in DOC, value

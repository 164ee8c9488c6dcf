"""``policy check``: every column classified, every category covered by a rule that reaches it.

The culprits come from test models (a separate ``MetaData``), never from the shipped one.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

from gardien.errors import ClassificationError
from gardien.policy import Policy, load_policy
from gardien.services.policy_check import check_classification, classification_culprits
from gardien.store.catalogue import record_catalogue
from gardien.store.classify import not_personal, personal
from gardien.store.tables import metadata as shipped


@pytest.fixture
def policy() -> Policy:
    return load_policy(None, catalogue=record_catalogue())


def model(table: str, *columns: Column[Any]) -> MetaData:
    """A one-table test model whose surrogate key is classified."""
    metadata = MetaData()
    Table(
        table, metadata, Column("id", Integer, primary_key=True, info=not_personal("key")), *columns
    )
    return metadata


def test_the_shipped_model_passes(policy: Policy) -> None:
    assert classification_culprits(policy, shipped) == []
    summary = check_classification(policy, shipped)
    assert summary.tables == len(shipped.tables)
    assert summary.columns == sum(len(t.columns) for t in shipped.tables.values())
    assert 0 < summary.personal_columns < summary.columns
    assert summary.categories == len(policy.categories)


def test_an_undeclared_personal_column_is_a_culprit(policy: Policy) -> None:
    metadata = model(
        "learner",
        Column("email", String(254), info=personal("identity")),
        Column("nickname", String(100)),
        Column("birth_date", String(10)),
    )
    culprits = classification_culprits(policy, metadata)
    assert len(culprits) == 2
    assert culprits[0].startswith("column learner.nickname is not classified")
    assert culprits[1].startswith("column learner.birth_date is not classified")

    with pytest.raises(ClassificationError) as caught:
        check_classification(policy, metadata)
    assert caught.value.culprits == culprits
    assert caught.value.exit_code != 0
    assert "learner.nickname" in str(caught.value)
    assert "learner.birth_date" in str(caught.value)


def test_a_column_naming_a_category_the_policy_lacks(policy: Policy) -> None:
    metadata = model("learner", Column("horoscope", String(20), info=personal("astrology")))
    assert classification_culprits(policy, metadata) == [
        "column learner.horoscope names category 'astrology', which the policy does not declare"
    ]


def test_a_column_marked_both_ways(policy: Policy) -> None:
    info = {**personal("identity"), **not_personal("surely not")}
    metadata = model("learner", Column("alias", String(20), info=info))
    assert classification_culprits(policy, metadata) == [
        "column learner.alias is marked both personal and not personal"
    ]


def test_personal_data_no_retention_rule_reaches(policy: Policy) -> None:
    # identity is kept by the learner rule, which never sweeps a "badge" table.
    metadata = model("badge", Column("holder_name", String(100), info=personal("identity")))
    (culprit,) = classification_culprits(policy, metadata)
    assert culprit.startswith("column badge.holder_name holds 'identity' data, but no retention")


def test_a_category_without_rule_is_a_culprit(policy: Policy) -> None:
    # A validated policy cannot lack a rule; a policy built in code can.
    categories = dict(policy.categories)
    categories["marketing"] = categories["identity"]
    bare = policy.model_copy(update={"categories": categories})
    assert "category 'marketing' has no retention rule" in classification_culprits(bare, shipped)


def test_not_personal_columns_pass(policy: Policy) -> None:
    metadata = model("learning_path", Column("title", String(200), info=not_personal("catalogue")))
    assert classification_culprits(policy, metadata) == []

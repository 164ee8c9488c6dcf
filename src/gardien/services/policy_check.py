"""``gardien policy check``: the data model and the policy agree, column by column.

A column either names the policy category of the personal data it holds
(``info=personal("identity")``) or states that it holds none (``info=not_personal("why")``).
The check fails, listing every culprit, when:

- a column has neither mark, or both;
- a column names a category the policy does not declare;
- a category has no retention rule;
- no retention rule of the column's category reaches the column's table (neither as the
  rule's ``record`` nor in its ``with_records``): a sweep would never erase that data.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import MetaData

from gardien.errors import ClassificationError
from gardien.policy import Policy
from gardien.store.classify import classifications


@dataclass(frozen=True)
class CheckSummary:
    """What a passing check covered, for the command's report."""

    tables: int
    columns: int
    personal_columns: int
    categories: int


def classification_culprits(policy: Policy, metadata: MetaData) -> list[str]:
    """Everything that makes the data model and the policy disagree, one line each."""
    culprits: list[str] = []
    for column in classifications(metadata):
        category = column.category
        if category is None and not column.not_personal:
            culprits.append(
                f"column {column.dotted} is not classified: map it to a policy category"
                " (info=personal('category')) or mark it as holding no personal data"
                " (info=not_personal('why'))"
            )
        elif category is not None and column.not_personal:
            culprits.append(f"column {column.dotted} is marked both personal and not personal")
        elif category is not None and category not in policy.categories:
            culprits.append(
                f"column {column.dotted} names category {category!r},"
                " which the policy does not declare"
            )
        elif category is not None and not any(
            column.table == rule.record or column.table in rule.with_records
            for _, rule in policy.rules_for_category(category)
        ):
            culprits.append(
                f"column {column.dotted} holds {category!r} data, but no retention rule for"
                f" {category!r} reaches the {column.table!r} record (as record or with_records)"
            )
    for name in policy.categories:
        if not policy.rules_for_category(name):
            culprits.append(f"category {name!r} has no retention rule")
    return culprits


def check_classification(policy: Policy, metadata: MetaData) -> CheckSummary:
    """Raise :class:`ClassificationError` listing every culprit; else summarise what passed."""
    culprits = classification_culprits(policy, metadata)
    if culprits:
        raise ClassificationError(culprits)
    columns = list(classifications(metadata))
    return CheckSummary(
        tables=len(metadata.tables),
        columns=len(columns),
        personal_columns=sum(1 for column in columns if column.category is not None),
        categories=len(policy.categories),
    )

"""``gardien policy check``: every column classified, every category covered by a rule."""

from __future__ import annotations

from sqlalchemy import MetaData

from gardien.errors import ClassificationError
from gardien.policy import Policy
from gardien.store.classify import classifications


def classification_culprits(policy: Policy, metadata: MetaData) -> list[str]:
    """Everything that makes the data model and the policy disagree, one line each."""
    culprits: list[str] = []
    for column in classifications(metadata):
        if column.category is None and not column.not_personal:
            culprits.append(
                f"column {column.dotted} is not classified: map it to a policy category"
                " or mark it as holding no personal data"
            )
        elif column.category is not None and column.not_personal:
            culprits.append(f"column {column.dotted} is marked both personal and not personal")
        elif column.category is not None and column.category not in policy.categories:
            culprits.append(
                f"column {column.dotted} names category {column.category!r},"
                " which the policy does not declare"
            )
    for name in policy.categories:
        if not policy.rules_for_category(name):
            culprits.append(f"category {name!r} has no retention rule")
    return culprits


def check_classification(policy: Policy, metadata: MetaData) -> None:
    """Raise :class:`ClassificationError` listing every culprit, if there is any."""
    culprits = classification_culprits(policy, metadata)
    if culprits:
        raise ClassificationError(culprits)

"""What may leave, for one funding type and one recipient: the policy's disclosure rule, read.

The policy says, per funding type, which kinds of recipient may receive data and which fields
and categories each may get (``disclosure:`` in the policy file). This module turns that into
one decision: either the exact set of fields a transmission may hold, or a refusal that cites
the policy. Nothing else decides what leaves: the payload is built from this set only.
"""

from __future__ import annotations

from dataclasses import dataclass

from gardien.domain.vocabulary import FundingType
from gardien.errors import DisclosureRefusedError
from gardien.policy import Policy


@dataclass(frozen=True)
class AllowedDisclosure:
    """A recipient's allowance for one funding type: its fields and categories, legal basis."""

    funding_type: FundingType
    recipient: str
    label_fr: str
    label_en: str
    basis: str
    fields: tuple[str, ...]
    categories: tuple[str, ...]


def allowed_disclosure(
    policy: Policy, funding_type: FundingType, recipient: str
) -> AllowedDisclosure:
    """What ``recipient`` may receive about a contract funded by ``funding_type``.

    Raises :class:`DisclosureRefusedError` when the policy lets nothing leave for this funding
    type (its summary is the message), or names no such recipient for it.
    """
    rule = policy.disclosure.get(funding_type)
    if rule is None or not rule.recipients:
        summary = rule.summary if rule is not None else None
        raise DisclosureRefusedError(
            f"nothing may be transmitted for {funding_type.value} contracts",
            policy_fr=summary.fr if summary else None,
            policy_en=summary.en if summary else None,
        )
    allowance = rule.recipients.get(recipient)
    if allowance is None:
        known = ", ".join(sorted(rule.recipients))
        raise DisclosureRefusedError(
            f"the policy names no recipient {recipient!r} for {funding_type.value} contracts"
            f" (recipients: {known})",
            policy_fr=rule.summary.fr,
            policy_en=rule.summary.en,
        )
    return AllowedDisclosure(
        funding_type=funding_type,
        recipient=recipient,
        label_fr=allowance.label.fr,
        label_en=allowance.label.en,
        basis=allowance.basis.value,
        fields=tuple(dict.fromkeys(allowance.fields)),
        categories=tuple(dict.fromkeys(allowance.categories)),
    )


def recipients_for(policy: Policy, funding_type: FundingType) -> list[str]:
    """The recipient kinds the policy names for ``funding_type`` (empty: nothing may leave)."""
    rule = policy.disclosure.get(funding_type)
    return sorted(rule.recipients) if rule is not None else []

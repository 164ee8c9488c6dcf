"""The register as typed values, already worded in one language; the formats only lay it out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gardien.domain.vocabulary import FundingType, LegalBasis
from gardien.services.register.wording import Lang


@dataclass(frozen=True, slots=True)
class Contact:
    """The controller or its DPO, as the policy names them."""

    name: str
    email: str
    address: str | None = None


@dataclass(frozen=True, slots=True)
class LegalBasisEntry:
    """The lawful basis of an activity and the provision of GDPR art. 6(1) it stands on."""

    basis: LegalBasis
    article: str
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class CategoryEntry:
    """A category of personal data an activity processes."""

    id: str
    label: str
    description: str
    text: str


class RecipientKind(StrEnum):
    """Who receives the data: a third party, a processor, or the controller's own staff."""

    THIRD_PARTY = "third_party"
    PROCESSOR = "processor"
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class RecipientEntry:
    """A recipient of an activity's data; third parties name the funding type they serve."""

    kind: RecipientKind
    label: str
    text: str
    id: str | None = None
    funding: FundingType | None = None


@dataclass(frozen=True, slots=True)
class Transfers:
    """Whether data leaves the European Union, and where it is hosted."""

    outside_eu: bool
    provider: str
    country: str
    text: str


@dataclass(frozen=True, slots=True)
class RetentionEntry:
    """How long some of an activity's categories are kept; ``rule`` None when no rule covers
    them (a policy loaded from a file never has that: the loader refuses it)."""

    rule: str | None
    label: str
    months: int | None
    categories: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Activity:
    """One processing activity of the register: one purpose of the policy."""

    purpose_id: str
    purpose: str
    legal_basis: LegalBasisEntry
    data_subjects: tuple[str, ...]
    data_categories: tuple[CategoryEntry, ...]
    sensitive_data: str
    recipients: tuple[RecipientEntry, ...]
    transfers: Transfers
    retention: tuple[RetentionEntry, ...]
    security: tuple[str, ...]

    def cells(self) -> dict[str, tuple[str, ...]]:
        """The texts of each column of the row, keyed as ``ACTIVITY_COLUMNS``."""
        return {
            "purpose_id": (self.purpose_id,),
            "purpose": (self.purpose,),
            "legal_basis": (self.legal_basis.text,),
            "data_subjects": self.data_subjects,
            "data_categories": tuple(c.text for c in self.data_categories),
            "sensitive_data": (self.sensitive_data,),
            "recipients": tuple(r.text for r in self.recipients),
            "transfers": (self.transfers.text,),
            "retention": tuple(r.text for r in self.retention),
            "security": self.security,
        }


@dataclass(frozen=True, slots=True)
class Register:
    """The GDPR Art. 30 record of processing activities of one policy, in one language."""

    lang: Lang
    policy_version: str
    controller: Contact
    dpo: Contact
    activities: tuple[Activity, ...]

    def header(self) -> dict[str, str]:
        """The values of the header, keyed as ``HEADER_COLUMNS``."""
        return {
            "controller_name": self.controller.name,
            "controller_address": self.controller.address or "",
            "controller_email": self.controller.email,
            "dpo_name": self.dpo.name,
            "dpo_email": self.dpo.email,
            "policy_version": self.policy_version,
        }

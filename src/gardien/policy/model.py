"""The policy model: what a policy file declares, checked field by field by pydantic.

Cross-references (a rule naming an unknown category, a field that the data model lacks) are
checked afterwards by :mod:`gardien.policy.validate`, which knows the record catalogue.
The format is documented in ``docs/policy.md``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)

from gardien.domain.financial_year import FinancialYear
from gardien.domain.vocabulary import FundingType, LegalBasis, RetentionAction

FORMAT = 1
MAX_MONTHS = 1200

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
DottedField = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
Months = Annotated[int, Field(ge=0, le=MAX_MONTHS, strict=True)]


def _year_end(text: str) -> str:
    return str(FinancialYear.parse(text))


# The last day of the financial year, ``MM-DD``: a real day of every year (not ``02-29``).
YearEnd = Annotated[str, Field(strict=True), AfterValidator(_year_end)]


def _day(value: object) -> date:
    # YAML reads an unquoted 2026-06-01 as a date, a quoted one as text; a number is no day.
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"a day is written YYYY-MM-DD, e.g. 2026-06-01 (got {value!r})")


Day = Annotated[date, BeforeValidator(_day)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(_Strict):
    """A text a person reads, in French first and English second."""

    fr: NonEmpty
    en: NonEmpty

    def in_(self, lang: str) -> str:
        """The text in ``lang`` (``"en"``), French otherwise."""
        return self.en if lang == "en" else self.fr


class Dpo(_Strict):
    """The data protection officer, whom people write to about their data.

    ``name`` is who holds the office (a person, or a firm for an external DPO); ``role`` is
    the office's title in each language ("Data protection officer" when absent, or e.g. a
    "privacy contact" where no DPO is designated).
    """

    name: NonEmpty
    email: EmailStr
    address: str | None = None
    role: Localized | None = None


HolidayRegion = Literal["57", "67", "68"]


class Controller(_Strict):
    """Who decides why and how the data is processed (GDPR art. 4(7))."""

    name: NonEmpty
    address: NonEmpty
    email: EmailStr
    dpo: Dpo
    # Invoices are kept from the close of the financial year they were issued in.
    financial_year_end: YearEnd = "12-31"
    # The department when the controller is in Alsace-Moselle, whose Good Friday and
    # 26 December are public holidays too: request deadlines skip them (domain/deadlines.py).
    holiday_region: HolidayRegion | None = None


class Hosting(_Strict):
    """Where the data is stored."""

    provider: NonEmpty
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    region: NonEmpty
    transfers_outside_eu: Annotated[bool, Field(strict=True)] = False
    terms_url: str | None = None
    # How people reach their own data (the notice: "selon les modalités d'authentification").
    access: Localized | None = None


class Category(_Strict):
    """A category of personal data; every personal column of the model belongs to one."""

    label: Localized
    description: Localized


# Where a purpose's data is collected: the notice has a section for each.
Area = Literal["website", "e_learning", "organisation"]


# Whether people must provide a purpose's data (GDPR art. 13(2)(e)): required by law, required
# by the contract, optional, or recorded by the platform itself as it is used.
ProvisionKind = Literal["statutory", "contractual", "optional", "automatic"]


class Provision(_Strict):
    """Whether providing a purpose's data is required, and what follows if it is not given."""

    kind: ProvisionKind
    without: Localized | None = None


class Purpose(_Strict):
    """Why data is processed, on which legal basis, about whom, with which categories."""

    label: Localized
    legal_basis: LegalBasis
    subjects: Annotated[list[Localized], Field(min_length=1)]
    categories: Annotated[list[Identifier], Field(min_length=1)]
    area: Area = "organisation"
    # Absent: read from the legal basis (see :meth:`provision_kind`).
    provision: Provision | None = None

    @property
    def provision_kind(self) -> ProvisionKind:
        """Whether the data is required: as the policy says, else by the legal basis (a
        contract's data is required by it, a legal obligation's by law; any other is optional)."""
        if self.provision is not None:
            return self.provision.kind
        if self.legal_basis is LegalBasis.CONTRACT:
            return "contractual"
        if self.legal_basis is LegalBasis.LEGAL_OBLIGATION:
            return "statutory"
        return "optional"


class Hold(_Strict):
    """Fields a rule keeps past a subject's erasure, until its own end, and the duty behind it."""

    fields: Annotated[list[DottedField], Field(min_length=1)]
    basis: LegalBasis
    reason: Localized


class ExpiryWarning(_Strict):
    """Tell the person before their data expires, so that signing in can keep it."""

    days_before: Annotated[int, Field(ge=1, le=365, strict=True)] = 30


class RetentionRule(_Strict):
    """How long one kind of record is kept, from which clock, and what happens at the end."""

    label: Localized
    record: Identifier
    clock: Identifier
    months: Months
    action: RetentionAction
    categories: Annotated[list[Identifier], Field(min_length=1)]
    with_records: list[Identifier] = Field(default_factory=list)
    hold: Hold | None = None
    warning: ExpiryWarning | None = None


class BackupRule(_Strict):
    """How long encrypted backups of the database are kept (``gardien backup prune``); every
    erasure is applied again to a restored backup (docs/backups.md)."""

    days: Annotated[int, Field(ge=1, le=366, strict=True)]


class Recipient(_Strict):
    """A kind of third party that may receive data for one funding type, and what it may get."""

    label: Localized
    basis: LegalBasis
    fields: list[DottedField] = Field(default_factory=list)
    categories: list[Identifier] = Field(default_factory=list)
    # The purpose a transmission serves: the Art. 30 register lists the recipient under it.
    purpose: Identifier | None = None
    # True when this recipient is the contract's sponsor itself: its contacts then see these
    # fields, and only these, in the sponsor space (each view logged as a transmission).
    sponsor: bool = False


class DisclosureRule(_Strict):
    """What may leave for one funding type: per recipient kind, or nothing at all."""

    summary: Localized
    recipients: dict[Identifier, Recipient] = Field(default_factory=dict)


class Authority(_Strict):
    """The supervisory authority people may complain to (GDPR art. 13(2)(d), art. 77)."""

    name: Localized
    url: NonEmpty


class Policy(_Strict):
    """A whole policy: the controller, the hosting, and every rule derived from it."""

    format: Annotated[int, Field(ge=FORMAT, le=FORMAT, strict=True)]
    # The day the policy (and so the notice) last changed: the notice shows it as its date.
    updated_on: Day | None = None
    controller: Controller
    hosting: Hosting
    authority: Authority | None = None
    # Technical and organisational measures (GDPR art. 32), for the Art. 30 register.
    security: list[Localized] = Field(default_factory=list)
    # Decisions taken by automated processing alone (GDPR art. 22), each described with its
    # logic and consequences; empty: the notice says there are none.
    automated_decisions: list[Localized] = Field(default_factory=list)
    categories: Annotated[dict[Identifier, Category], Field(min_length=1)]
    purposes: Annotated[dict[Identifier, Purpose], Field(min_length=1)]
    retention: Annotated[dict[Identifier, RetentionRule], Field(min_length=1)]
    disclosure: dict[FundingType, DisclosureRule]
    # How long backups are kept; None: the policy promises nothing, and `backup prune` refuses.
    backups: BackupRule | None = None

    @property
    def version(self) -> str:
        """A short hash of the policy's content: the version a notice or a consent refers to."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]

    @property
    def financial_year(self) -> FinancialYear:
        """The controller's financial year (invoices count from its close)."""
        return FinancialYear.parse(self.controller.financial_year_end)

    def rules_for_category(self, category: str) -> list[tuple[str, RetentionRule]]:
        """The retention rules that state how long ``category`` is kept."""
        return [(rid, rule) for rid, rule in self.retention.items() if category in rule.categories]

    def purposes_for_category(self, category: str) -> list[tuple[str, Purpose]]:
        """The purposes that process ``category``."""
        return [(pid, p) for pid, p in self.purposes.items() if category in p.categories]

    def owner_rule_months(self, rule_id: str) -> int | None:
        """If an earlier rule on learners sweeps this rule's records along, that rule's months.

        Such records (a learner's queued e-mails, contact messages) may go with their learner
        before their own rule reaches them; counts must not take them twice.
        """
        rule = self.retention[rule_id]
        for other_id, other in self.retention.items():
            if other_id == rule_id:
                return None
            if other.record == "learner" and rule.record in other.with_records:
                return other.months
        return None

    def rules_for_record(self, record: str) -> list[tuple[str, RetentionRule]]:
        """The retention rules whose sweep reaches ``record`` (as its record or alongside it)."""
        return [
            (rid, rule)
            for rid, rule in self.retention.items()
            if record == rule.record or record in rule.with_records
        ]

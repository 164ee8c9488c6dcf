"""The import document: its shape, checked by pydantic; its JSON Schema is docs/import.schema.json.

Records refer to each other by natural keys (a learner by e-mail, a path by code, a contract by
reference), never by database ids, so the same file can be loaded into any database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass

from gardien.domain.vocabulary import CpfStatus, EnrolmentStatus, FundingType, SponsorKind
from gardien.services.importing.emails import normalise_email

# An address a record is about: fully checked, and lower-cased so it works as a natural key.
Email = Annotated[
    str,
    AfterValidator(normalise_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254}),
]
# An address that refers to a record of the same document or database: the reference check
# catches what does not resolve, so a cheap syntactic test is enough (and matters at 10^6 rows).
EmailRef = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[^@\s]+@[^@\s]+$")
]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
_IRI = r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$"
Iri = Annotated[str, StringConstraints(min_length=1, max_length=2048, pattern=_IRI)]
# Verbs are short IRIs; the column is sized for them.
VerbIri = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=_IRI)]
_HEX = "[0-9a-fA-F]"
# Compared lower-case: the same statement spelt in capitals is the same statement.
Uuid = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        pattern=f"^{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}$",
    ),
]
Percent = Annotated[int, Field(ge=0, le=100)]
# Dates and instants far from an organisation's life are typing mistakes (0024, 20224), and near
# year 1 or 9999 an instant cannot even be moved to UTC: these bounds are documented
# (docs/import.md). An instant is compared as the instant it names, whatever its offset.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2200, 12, 31)
Day = Annotated[date, Field(ge=EARLIEST_DAY, le=LATEST_DAY)]
Instant = Annotated[
    AwareDatetime,
    Field(ge=datetime(1900, 1, 1, tzinfo=UTC), lt=datetime(2201, 1, 1, tzinfo=UTC)),
]
# Amounts are stored in 32-bit integer columns (up to some 21 million euros).
Cents = Annotated[int, Field(ge=0, le=2_147_483_647)]
Scaled = Annotated[float, Field(ge=-1.0, le=1.0)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ModuleIn(_Record):
    """A module of a learning path; its position is its place in the list.

    ``activity_id`` is the xAPI activity IRI content reports the module under: a statement that
    completes, passes or fails it moves the learner's progress (docs/xapi.md).
    """

    code: Code
    title: Name
    activity_id: Iri | None = None


class LearningPathIn(_Record):
    """A learning path (parcours), identified by its code, with its modules in order."""

    code: Code
    title: Name
    modules: list[ModuleIn] = Field(default_factory=list)


class LearnerIn(_Record):
    """A learner account, identified by e-mail; ``last_activity_at`` never moves back."""

    email: Email
    given_name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    family_name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    created_at: Instant
    last_activity_at: Instant


class SponsorContactIn(_Record):
    """A contact person of a sponsor, identified by e-mail within the sponsor."""

    name: Name
    email: Email
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    role: Annotated[str, StringConstraints(max_length=100)] | None = None


class SponsorIn(_Record):
    """A sponsor (commanditaire): an organisation or an individual, identified by ``ref``."""

    ref: Code
    kind: SponsorKind
    name: Name
    email: Email | None = None
    address: str | None = None
    siret: Annotated[str, StringConstraints(pattern=r"^\d{14}$")] | None = None
    contacts: list[SponsorContactIn] = Field(default_factory=list)


class ContractIn(_Record):
    """A contract, identified by reference; ``learners`` are e-mails of learners it covers."""

    reference: Code
    funding_type: FundingType
    sponsor: Code | None = None
    path: Code | None = None
    signed_on: Day
    starts_on: Day
    ends_on: Day
    amount_cents: Cents | None = None
    learners: list[EmailRef] = Field(default_factory=list)


class ModuleProgressIn(_Record):
    """Progress of an enrolled learner in one module of the path."""

    module: Code
    status: Literal["attempted", "completed", "passed", "failed"]
    score_scaled: Scaled | None = None
    updated_at: Instant


class EnrolmentIn(_Record):
    """A learner's enrolment on a learning path, identified by (learner, path)."""

    learner: EmailRef
    path: Code
    contract: Code | None = None
    enrolled_at: Instant
    status: EnrolmentStatus
    progress: Percent
    completed_at: Instant | None = None
    modules: list[ModuleProgressIn] = Field(default_factory=list)


# Files hold millions of statements, so these two are slotted pydantic dataclasses rather than
# models: a third faster to validate and far smaller in memory (no per-instance __dict__ nor
# set of fields). They validate the same and are built the same way, by keyword. Each string
# field strips itself where it matters (IRIs admit no blank at all): model-wide stripping would
# cost another third.
_LEAN = ConfigDict(extra="forbid")


@dataclass(slots=True, frozen=True, kw_only=True, config=_LEAN)
class ResultIn:
    """The outcome of an attempt (xAPI ``result``): success, completion, scaled score."""

    success: bool | None = None
    completion: bool | None = None
    score_scaled: Scaled | None = None


@dataclass(slots=True, frozen=True, kw_only=True, config=_LEAN)
class StatementIn:
    """An xAPI statement in brief; ``raw`` may carry the full statement, whose actor is replaced."""

    id: Uuid
    learner: EmailRef
    verb: VerbIri
    object: Iri
    result: ResultIn | None = None
    timestamp: Instant
    raw: dict[str, Any] | None = None


class InvoiceIn(_Record):
    """An invoice, identified by number, with its own snapshot of the billing identity."""

    number: Code
    contract: Code | None = None
    issued_on: Day
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "EUR"
    amount_excl_tax_cents: Cents
    tax_cents: Cents
    billing_name: Name
    billing_address: Annotated[str, StringConstraints(min_length=1)]
    billing_email: Email | None = None


class CpfDossierIn(_Record):
    """A CPF dossier on EDOF, identified by its EDOF number."""

    edof_number: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    contract: Code
    learner: EmailRef
    status: CpfStatus
    entry_date: Day | None = None
    exit_date: Day | None = None
    completion_rate: Percent | None = None
    exit_reason: Annotated[str, StringConstraints(max_length=100)] | None = None
    certification_result: Annotated[str, StringConstraints(max_length=100)] | None = None


class OpcoDossierIn(_Record):
    """An OPCO funding dossier, identified by its agreement reference."""

    agreement_reference: Code
    contract: Code
    learner: EmailRef
    opco_name: Name
    employer_name: Name
    training_title: Name
    training_start: Day
    training_end: Day
    duration_hours: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    certificate_ref: Annotated[str, StringConstraints(max_length=200)] | None = None
    attendance_summary: dict[str, Any] | None = None


class NewsletterSubscriptionIn(_Record):
    """A newsletter subscription, identified by e-mail, with its proof of consent."""

    email: Email
    status: Literal["pending", "confirmed", "unsubscribed"]
    created_at: Instant
    consent_at: Instant
    consent_source: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    consent_notice_version: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    consent_wording: Annotated[str, StringConstraints(min_length=1)]
    confirmed_at: Instant | None = None
    unsubscribed_at: Instant | None = None

    @model_validator(mode="after")
    def _unsubscribed_has_its_date(self) -> NewsletterSubscriptionIn:
        # The date is the retention clock: without it the address would be kept forever.
        if (self.status == "unsubscribed") != (self.unsubscribed_at is not None):
            raise ValueError("unsubscribed_at is required exactly when status is 'unsubscribed'")
        return self


class ContactMessageIn(_Record):
    """A message sent through the contact form, identified by (e-mail, received_at)."""

    name: Name
    email: Email
    message: Annotated[str, StringConstraints(min_length=1, max_length=10000)]
    received_at: Instant
    last_exchange_at: Instant


class ImportDocument(_Record):
    """A whole import file. Every section is optional; order inside a section does not matter."""

    format: Literal[1] = 1
    learning_paths: list[LearningPathIn] = Field(default_factory=list)
    learners: list[LearnerIn] = Field(default_factory=list)
    sponsors: list[SponsorIn] = Field(default_factory=list)
    contracts: list[ContractIn] = Field(default_factory=list)
    enrolments: list[EnrolmentIn] = Field(default_factory=list)
    statements: list[StatementIn] = Field(default_factory=list)
    invoices: list[InvoiceIn] = Field(default_factory=list)
    cpf_dossiers: list[CpfDossierIn] = Field(default_factory=list)
    opco_dossiers: list[OpcoDossierIn] = Field(default_factory=list)
    newsletter_subscriptions: list[NewsletterSubscriptionIn] = Field(default_factory=list)
    contact_messages: list[ContactMessageIn] = Field(default_factory=list)

    # Where the document was read from, so that messages about its records name the file.
    _source: str | None = PrivateAttr(default=None)

    @field_validator("format", mode="before")
    @classmethod
    def _format_is_a_number(cls, value: object) -> object:
        # Literal[1] takes true for 1 (True == 1 in Python), even in strict mode.
        if isinstance(value, bool):
            raise ValueError("must be the number 1, not a boolean")
        return value

    @property
    def source(self) -> str | None:
        """The file this document was read from, if it was read from one."""
        return self._source

    def from_source(self, source: str) -> ImportDocument:
        """Remember the file this document was read from; returns the document itself."""
        self._source = source
        return self

"""Closed vocabularies shared by the policy, the store and the services."""

from __future__ import annotations

from enum import StrEnum


class FundingType(StrEnum):
    """How a contract is paid for; each one has its own disclosure rule in the policy."""

    ONLINE_PAYMENT = "online_payment"
    CPF = "cpf"
    OPCO = "opco"
    EMPLOYER_PLAN = "employer_plan"
    SCHOOL_PLAN = "school_plan"


class LegalBasis(StrEnum):
    """The lawful bases of GDPR art. 6(1), (a) to (f)."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"

    @property
    def article(self) -> str:
        """The provision of GDPR art. 6(1) this basis stands on, e.g. ``6(1)(b)``."""
        letter = "abcdef"[list(LegalBasis).index(self)]
        return f"6(1)({letter})"


class RetentionAction(StrEnum):
    """What happens to a record when its retention period ends."""

    DELETE = "delete"
    ANONYMISE = "anonymise"


class SponsorKind(StrEnum):
    """A sponsor (commanditaire) is an organisation or an individual paying for themself."""

    ORGANISATION = "organisation"
    INDIVIDUAL = "individual"


class CpfStatus(StrEnum):
    """States of a CPF dossier on EDOF, the Caisse des Dépôts platform."""

    ACCEPTED = "accepted"
    IN_TRAINING = "in_training"
    TERMINATED = "terminated"
    SERVICE_DECLARED = "service_declared"
    SERVICE_VALIDATED = "service_validated"
    CANCELLED = "cancelled"
    REFUSED = "refused"


class EnrolmentStatus(StrEnum):
    """Where a learner stands on a learning path."""

    ENROLLED = "enrolled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


# The data-subject requests gardien records (GDPR art. 15, 20, 16, 17, 21).
REQUEST_KINDS = ("access", "portability", "rectification", "erasure", "objection")

"""The register's fixed wording, in French and English: column headings and set phrases.

Everything else in the register comes from the policy. These pairs stay in code (not in the
policy) because they name GDPR notions and the register's own layout, not the organisation's
choices; they are format strings so that a gettext catalogue can take them over unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gardien.domain.vocabulary import FundingType, LegalBasis, RetentionAction

Lang = Literal["fr", "en"]
LANGS: tuple[Lang, ...] = ("fr", "en")


@dataclass(frozen=True, slots=True)
class Wording:
    """A fixed text in French and English, like the policy's ``Localized``."""

    fr: str
    en: str

    def in_(self, lang: Lang) -> str:
        """The text in ``lang``."""
        return self.en if lang == "en" else self.fr


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the register: its stable key (JSON, CSV in code) and its heading."""

    key: str
    heading: Wording


# One row per processing activity (purpose), in the order of the CNIL's register model.
ACTIVITY_COLUMNS: tuple[Column, ...] = (
    Column("purpose_id", Wording("Identifiant du traitement", "Processing id")),
    Column("purpose", Wording("Finalité du traitement", "Purpose of the processing")),
    Column("legal_basis", Wording("Base légale", "Legal basis")),
    Column(
        "data_subjects",
        Wording("Catégories de personnes concernées", "Categories of data subjects"),
    ),
    Column(
        "data_categories",
        Wording("Catégories de données personnelles", "Categories of personal data"),
    ),
    Column("sensitive_data", Wording("Données sensibles", "Sensitive data")),
    Column("recipients", Wording("Destinataires", "Recipients")),
    Column(
        "transfers",
        Wording("Transferts hors de l'Union européenne", "Transfers outside the European Union"),
    ),
    Column("retention", Wording("Durées de conservation", "Retention periods")),
    Column("security", Wording("Mesures de sécurité", "Security measures")),
)

# Who keeps the register, and which policy it was generated from: the header of the HTML and
# JSON forms, repeated on every row of the CSV form (a CSV file has no header block).
HEADER_COLUMNS: tuple[Column, ...] = (
    Column("controller_name", Wording("Responsable du traitement", "Controller")),
    Column("controller_address", Wording("Adresse du responsable", "Controller's address")),
    Column("controller_email", Wording("Courriel du responsable", "Controller's e-mail")),
    Column("dpo_name", Wording("Délégué à la protection des données", "Data protection officer")),
    Column("dpo_email", Wording("Courriel du délégué", "Data protection officer's e-mail")),
    Column("policy_version", Wording("Version de la politique", "Policy version")),
)

TITLE = Wording(
    "Registre des activités de traitement (RGPD, art. 30)",
    "Record of processing activities (GDPR Art. 30)",
)
CAPTION = Wording(
    "Une ligne par activité de traitement, générée depuis la politique de confidentialité",
    "One row per processing activity, generated from the privacy policy",
)

LEGAL_BASIS_NAMES: dict[LegalBasis, Wording] = {
    LegalBasis.CONSENT: Wording("Consentement de la personne concernée", "Consent"),
    LegalBasis.CONTRACT: Wording("Exécution d'un contrat", "Performance of a contract"),
    LegalBasis.LEGAL_OBLIGATION: Wording("Obligation légale", "Legal obligation"),
    LegalBasis.VITAL_INTERESTS: Wording("Sauvegarde des intérêts vitaux", "Vital interests"),
    LegalBasis.PUBLIC_TASK: Wording("Mission d'intérêt public", "Public task"),
    LegalBasis.LEGITIMATE_INTERESTS: Wording("Intérêt légitime", "Legitimate interests"),
}
LEGAL_BASIS = Wording("{name} (RGPD, art. {article})", "{name} (GDPR Art. {article})")

FUNDING_NAMES: dict[FundingType, Wording] = {
    FundingType.ONLINE_PAYMENT: Wording("paiement en ligne", "online payment"),
    FundingType.CPF: Wording("financement CPF", "CPF funding"),
    FundingType.OPCO: Wording("financement OPCO", "OPCO funding"),
    FundingType.EMPLOYER_PLAN: Wording(
        "plan de formation d'un employeur", "an employer's training plan"
    ),
    FundingType.SCHOOL_PLAN: Wording(
        "plan de formation d'un établissement d'enseignement", "a school's training plan"
    ),
}
# A third party receives data only for contracts of one funding type: say which.
RECIPIENT = Wording("{label} — {funding}", "{label} — {funding}")
HOST = Wording("{provider}, hébergeur (sous-traitant)", "{provider}, host (processor)")
STAFF = Wording("Personnel habilité du responsable", "Authorised staff of the controller")

CATEGORY = Wording("{label} : {description}", "{label}: {description}")

SENSITIVE_NONE = Wording(
    "Aucune : la politique ne déclare aucune donnée sensible (RGPD, art. 9 et 10)",
    "None: the policy declares no sensitive data (GDPR Art. 9 and 10)",
)

TRANSFERS_NONE = Wording(
    "Aucun (hébergement {provider}, {country})", "None (hosted by {provider}, {country})"
)
TRANSFERS_DECLARED = Wording(
    "Oui : la politique déclare des transferts hors de l'Union (hébergement {provider}, {country})",
    "Yes: the policy declares transfers outside the Union (hosted by {provider}, {country})",
)

RETENTION = Wording(
    "{label} ({categories}) : {duration} {clock}, puis {action}",
    "{label} ({categories}): {duration} {clock}, then {action}",
)
# A clock counted from the close of a financial year, with the day that year ends.
FINANCIAL_YEAR_CLOCK = Wording(
    "{clock} (clôture au {year_end})", "{clock} (year closing on {year_end})"
)
RETENTION_NO_CLOCK = Wording(
    "{label} ({categories}) : {duration}, puis {action}",
    "{label} ({categories}): {duration}, then {action}",
)
RETENTION_NONE = Wording(
    "{category} : aucune règle de conservation dans la politique",
    "{category}: no retention rule in the policy",
)
ACTIONS: dict[RetentionAction, Wording] = {
    RetentionAction.DELETE: Wording("suppression", "deleted"),
    RetentionAction.ANONYMISE: Wording("anonymisation", "anonymised"),
}

BACKUPS = Wording(
    "Sauvegardes chiffrées (AES-256-GCM) de la base, conservées {days} jours puis supprimées ;"
    " chaque effacement est aussi inscrit hors de la base et appliqué de nouveau après toute"
    " restauration",
    "Encrypted backups (AES-256-GCM) of the database, kept {days} days then deleted; every"
    " erasure is also recorded outside the database and applied again after any restore",
)
SECURITY_NONE = Wording(
    "Aucune mesure déclarée dans la politique", "No measure declared in the policy"
)


def months(count: int, lang: Lang) -> str:
    """``count`` months, with the plural English needs and French does not."""
    if lang == "en":
        return f"{count} month" if count == 1 else f"{count} months"
    return f"{count} mois"

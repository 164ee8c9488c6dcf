"""The notice's translated words for the closed vocabularies: legal bases, clocks, areas, ...

Each is an English msgid marked with :func:`N_` (so that Babel extracts it) and translated when
the notice is built. The sentences around them live in the templates.
"""

from __future__ import annotations

from datetime import timedelta
from gettext import NullTranslations

from gardien.domain.clocks import RETENTION_CLOCKS
from gardien.domain.financial_year import FinancialYear
from gardien.domain.vocabulary import FundingType, LegalBasis
from gardien.i18n.dates import format_month_day
from gardien.policy.model import Area, ProvisionKind


def N_(message: str) -> str:
    """Mark ``message`` for extraction (gettext's usual name); it is translated where used."""
    return message


LEGAL_BASES: dict[LegalBasis, str] = {
    LegalBasis.CONSENT: N_("consent"),
    LegalBasis.CONTRACT: N_("performance of a contract"),
    LegalBasis.LEGAL_OBLIGATION: N_("legal obligation"),
    LegalBasis.VITAL_INTERESTS: N_("vital interests"),
    LegalBasis.PUBLIC_TASK: N_("task carried out in the public interest"),
    LegalBasis.LEGITIMATE_INTERESTS: N_("legitimate interests"),
}

AREAS: dict[str, str] = {
    "website": N_("On our website"),
    "e_learning": N_("On our e-learning platforms"),
    "organisation": N_("Within our organisation"),
}
AREA_ORDER: tuple[Area, ...] = ("website", "e_learning", "organisation")

FUNDING_TYPES: dict[FundingType, str] = {
    FundingType.ONLINE_PAYMENT: N_("Contracts paid online"),
    FundingType.CPF: N_("CPF-type funding"),
    FundingType.OPCO: N_("Funding by an OPCO"),
    FundingType.EMPLOYER_PLAN: N_("An employer's training plan"),
    FundingType.SCHOOL_PLAN: N_("A school's training plan"),
}

# Keyed by clock name: one clock name reads the same whatever the record.
CLOCKS: dict[str, str] = {
    "last_activity": N_("after the last activity"),
    "financial_year_close": N_(
        "from the close of the financial year in which the invoice was issued"
        " (year closing on %(year_end)s)"
    ),
    "training_end": N_("after the end of the training"),
    "last_contract_end": N_("after the end of the last contract"),
    "unsubscribed": N_("after unsubscribing"),
    "unconfirmed": N_("after subscribing, unless the subscription is confirmed"),
    "last_exchange": N_("after the last exchange"),
    # The clock is when the e-mail is queued, a moment before it is sent: the promise holds.
    "created": N_("after being sent"),
    "recorded": N_("after being recorded"),
    "last_change": N_("after it last changed"),
    "unlinked": N_("after being received, as long as no learner is linked to it"),
    "last_sign_in": N_("after the last sign-in"),
    "expired": N_("after the session ends"),
    "closed": N_("after the request is closed"),
    "lapsed": N_("after the count and any wait end"),
}

# Fields a recipient may receive, as a person would name them.
FIELDS: dict[str, str] = {
    "learner.given_name": N_("given name"),
    "learner.family_name": N_("family name"),
    "learner.email": N_("e-mail address"),
    "contract.reference": N_("contract reference"),
    "contract.starts_on": N_("contract start date"),
    "contract.ends_on": N_("contract end date"),
    "invoice.number": N_("invoice number"),
    "cpf_dossier.edof_number": N_("EDOF dossier number"),
    "cpf_dossier.status": N_("dossier status"),
    "cpf_dossier.entry_date": N_("entry date"),
    "cpf_dossier.exit_date": N_("exit date"),
    "cpf_dossier.completion_rate": N_("completion rate"),
    "cpf_dossier.exit_reason": N_("exit reason"),
    "cpf_dossier.certification_result": N_("certification result"),
    "opco_dossier.agreement_reference": N_("funding agreement reference"),
    "opco_dossier.trainee_name": N_("trainee's name"),
    "opco_dossier.employer_name": N_("employer's name"),
    "opco_dossier.training_title": N_("training title"),
    "opco_dossier.training_start": N_("training start date"),
    "opco_dossier.training_end": N_("training end date"),
    "opco_dossier.duration_hours": N_("training duration"),
    "opco_dossier.certificate_ref": N_("certificate of completion"),
    "opco_dossier.attendance_summary": N_("attendance evidence"),
}

OTHER_DATA = N_("Other data, not personal in itself")

# The office of the policy's DPO, when the policy does not give its title.
DPO = N_("Data protection officer")

# The notice's sections, in order: (the id its heading carries, its title).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("data", N_("What data do we collect, and why?")),
    ("required", N_("Must you give us this data?")),
    ("recipients", N_("To whom do we transmit it?")),
    ("retention", N_("How long do we keep it?")),
    ("storage", N_("Where is it stored?")),
    ("security", N_("How do we protect it?")),
    ("cookies", N_("Cookies")),
    ("automated-decisions", N_("Automated decisions")),
    ("rights", N_("Your rights")),
    ("after-death", N_("Your data after your death")),
)

PROVISIONS: dict[ProvisionKind, str] = {
    "statutory": N_("required by law."),
    "contractual": N_("required to enter into and carry out the training contract."),
    "optional": N_("optional."),
    "automatic": N_("recorded by the platform as it is used; you have nothing to provide."),
}

# Keyed by cookie name (gardien.domain.cookies): what each one is for.
COOKIE_PURPOSES: dict[str, str] = {
    "gardien_session": N_(
        "keeps you signed in to your account; it stops working when you sign out or after a"
        " period without activity."
    ),
    "gardien_csrf": N_(
        "protects the site's forms against submissions forged by another site; it holds a"
        " random value only."
    ),
    "gardien_device": N_(
        "remembers that this browser has signed in to your account before, so that someone"
        " trying passwords elsewhere cannot lock you out; it holds no e-mail address."
    ),
}


def legal_basis(basis: LegalBasis, t: NullTranslations) -> str:
    """The legal basis in words, in the language of ``t``."""
    return t.gettext(LEGAL_BASES[basis])


def clock_phrase(
    record: str, clock: str, t: NullTranslations, lang: str, *, financial_year: FinancialYear
) -> str:
    """When a period starts, in words ("after the last activity").

    A clock counted from the close of a financial year names the day the year ends ("year
    closing on 31 December"). A clock the notice has no phrase for yet falls back to the
    wording of the clock registry.
    """
    known = RETENTION_CLOCKS.get((record, clock))
    if clock not in CLOCKS:
        known = RETENTION_CLOCKS[(record, clock)]
        return known.en if lang == "en" else known.fr
    phrase = t.gettext(CLOCKS[clock])
    if known is not None and known.financial_year:
        year_end = format_month_day(financial_year.month, financial_year.day, lang)
        phrase = phrase % {"year_end": year_end}
    return phrase


def field_name(dotted: str, t: NullTranslations) -> str:
    """A field of the data model as a person would name it (its column name as a last resort)."""
    if dotted in FIELDS:
        return t.gettext(FIELDS[dotted])
    return dotted.partition(".")[2].replace("_", " ")


def cookie_lifetime(max_age: timedelta | None, t: NullTranslations) -> str:
    """How long a cookie stays in the browser: ``180 days``, or until the browser is closed."""
    if max_age is None:
        return t.gettext("until you close your browser")
    days = max_age.days
    return t.ngettext("for %(num)d day", "for %(num)d days", days) % {"num": days}


def duration(months: int, t: NullTranslations) -> str:
    """``18 months``; ``120 months (10 years)`` when the months make whole years."""
    text = t.ngettext("%(num)d month", "%(num)d months", months) % {"num": months}
    if months and months % 12 == 0:
        years = months // 12
        in_years = t.ngettext("%(num)d year", "%(num)d years", years) % {"num": years}
        text = f"{text} ({in_years})"
    return text

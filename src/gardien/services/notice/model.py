"""What the privacy notice says, as plain typed values built from a policy, in one language.

:func:`build_notice` gathers every fact of the notice from the policy (durations, recipients,
hosting, contacts) and translates the closed vocabularies (legal bases, clocks, ...); the
templates only arrange these values into sentences. Nothing here knows Markdown or HTML.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale

from gardien.domain.cookies import COOKIES, Cookie
from gardien.domain.vocabulary import LegalBasis, RetentionAction
from gardien.i18n import SUPPORTED, translations
from gardien.i18n.dates import format_day
from gardien.policy.model import Policy, Purpose, Recipient, RetentionRule
from gardien.services.notice import phrases
from gardien.services.notice.fields import FieldCategories, field_categories


@dataclass(frozen=True, slots=True)
class Basis:
    """A legal basis in words, with its provision of GDPR art. 6(1)."""

    label: str
    article: str


@dataclass(frozen=True, slots=True)
class CategoryView:
    label: str
    description: str


@dataclass(frozen=True, slots=True)
class PurposeView:
    label: str
    basis: Basis
    subjects: tuple[str, ...]
    categories: tuple[CategoryView, ...]
    consent: bool


@dataclass(frozen=True, slots=True)
class AreaView:
    """The purposes whose data is collected in one place (the website, the platforms, ...)."""

    area: str
    title: str
    purposes: tuple[PurposeView, ...]


@dataclass(frozen=True, slots=True)
class Transmitted:
    """Part of what a recipient receives: some fields of a category, or all of it."""

    label: str
    fields: tuple[str, ...]  # the fields as people name them; empty for a whole category
    description: str | None  # for a whole category: what it contains


@dataclass(frozen=True, slots=True)
class RecipientView:
    label: str
    basis: Basis
    receives: tuple[Transmitted, ...]


@dataclass(frozen=True, slots=True)
class DisclosureView:
    """What leaves for one funding type."""

    funding: str
    summary: str
    recipients: tuple[RecipientView, ...]


@dataclass(frozen=True, slots=True)
class HoldView:
    reason: str
    basis: Basis


@dataclass(frozen=True, slots=True)
class RetentionView:
    label: str
    months: int
    duration: str  # "18 months", "120 months (10 years)"
    clock: str  # "after the last activity"
    action: RetentionAction
    hold: HoldView | None
    warning_days: int | None


@dataclass(frozen=True, slots=True)
class ProvisionView:
    """Whether one purpose's data must be provided (GDPR art. 13(2)(e)), in words."""

    purpose: str
    kind: str  # "required by law", "optional", ...
    without: str | None  # what follows if it is not provided


@dataclass(frozen=True, slots=True)
class CookieView:
    name: str  # as the public site sends it
    purpose: str
    lifetime: str  # "180 days", "until you close your browser"


@dataclass(frozen=True, slots=True)
class ControllerView:
    name: str
    address: str
    email: str
    dpo_role: str  # the office, in the notice's language
    dpo_name: str | None  # who holds it; None when the policy names only the office
    dpo_email: str
    dpo_address: str | None


@dataclass(frozen=True, slots=True)
class Section:
    """A part of the notice the table of contents links to."""

    id: str
    title: str


@dataclass(frozen=True, slots=True)
class HostingView:
    provider: str
    region: str
    country: str  # the country's name in the notice's language
    country_code: str
    transfers_outside_eu: bool
    terms_url: str | None
    access: str | None


@dataclass(frozen=True, slots=True)
class AuthorityView:
    name: str
    url: str | None  # None when the policy's address is not a web (http/https) one


@dataclass(frozen=True, slots=True)
class NoticeView:
    """Everything the notice states, in one language."""

    lang: str
    version: str
    updated_on: str | None  # as people write a day in the notice's language
    updated_on_iso: str | None
    controller: ControllerView
    areas: tuple[AreaView, ...]
    provisions: tuple[ProvisionView, ...]
    disclosures: tuple[DisclosureView, ...]
    retention: tuple[RetentionView, ...]
    # How many days backups are kept (the policy's backup rule), None when it states none.
    backup_days: int | None
    hosting: HostingView
    security: tuple[str, ...]
    cookies: tuple[CookieView, ...]
    automated_decisions: tuple[str, ...]
    authority: AuthorityView | None

    @property
    def sections(self) -> tuple[Section, ...]:
        """The notice's parts in order, for its table of contents (their titles translated)."""
        return tuple(
            Section(id, translations(self.lang).gettext(title))
            for id, title in phrases.SECTIONS
            if id != "security" or self.security
        )

    @property
    def section_titles(self) -> dict[str, str]:
        """Each section's title by its id."""
        return {section.id: section.title for section in self.sections}

    @property
    def asks_consent(self) -> bool:
        """Whether some purpose rests on consent, which can then be withdrawn at any time."""
        return any(p.consent for area in self.areas for p in area.purposes)


def build_notice(
    policy: Policy, *, lang: str, categories_of_fields: FieldCategories | None = None
) -> NoticeView:
    """The notice of ``policy`` in ``lang``.

    ``categories_of_fields`` names the category of each field a recipient may receive, so that
    the notice says "Identity: given name, family name"; by default, the classification of the
    data model's columns. Raises :class:`~gardien.errors.UnsupportedLanguageError` for an
    unknown language.
    """
    mapping = field_categories() if categories_of_fields is None else categories_of_fields
    return _Builder(policy, lang, mapping).notice()


class _Builder:
    def __init__(self, policy: Policy, lang: str, field_categories: FieldCategories) -> None:
        self.policy = policy
        self.lang = lang
        self.t = translations(lang)
        self.field_categories = field_categories

    def notice(self) -> NoticeView:
        policy = self.policy
        return NoticeView(
            lang=self.lang,
            version=policy.version,
            updated_on=format_day(policy.updated_on, self.lang) if policy.updated_on else None,
            updated_on_iso=policy.updated_on.isoformat() if policy.updated_on else None,
            controller=self.controller(),
            areas=self.areas(),
            provisions=tuple(self.provision(p) for p in policy.purposes.values()),
            disclosures=tuple(
                DisclosureView(
                    funding=self.t.gettext(phrases.FUNDING_TYPES[funding]),
                    summary=rule.summary.in_(self.lang),
                    recipients=tuple(self.recipient(r) for r in rule.recipients.values()),
                )
                for funding, rule in policy.disclosure.items()
            ),
            retention=tuple(self.retention(rule) for rule in policy.retention.values()),
            backup_days=policy.backups.days if policy.backups else None,
            hosting=self.hosting(),
            security=tuple(measure.in_(self.lang) for measure in policy.security),
            cookies=tuple(self.cookie(c) for c in COOKIES),
            automated_decisions=tuple(d.in_(self.lang) for d in policy.automated_decisions),
            authority=(
                AuthorityView(policy.authority.name.in_(self.lang), _web_url(policy.authority.url))
                if policy.authority
                else None
            ),
        )

    def basis(self, basis: LegalBasis) -> Basis:
        return Basis(phrases.legal_basis(basis, self.t), basis.article)

    def controller(self) -> ControllerView:
        c = self.policy.controller
        role = c.dpo.role.in_(self.lang) if c.dpo.role else self.t.gettext(phrases.DPO)
        # A policy that gives the office's title as the name would read "Officer: Officer",
        # or, on the English page, "Data protection officer: Délégué à la protection ...".
        titles = {translations(lang).gettext(phrases.DPO).casefold() for lang in SUPPORTED}
        if c.dpo.role:
            titles |= {c.dpo.role.fr.casefold(), c.dpo.role.en.casefold()}
        return ControllerView(
            name=c.name,
            address=c.address,
            email=str(c.email),
            dpo_role=role,
            dpo_name=None if c.dpo.name.casefold() in titles else c.dpo.name,
            dpo_email=str(c.dpo.email),
            dpo_address=c.dpo.address,
        )

    def areas(self) -> tuple[AreaView, ...]:
        views = []
        for area in phrases.AREA_ORDER:
            purposes = tuple(
                PurposeView(
                    label=p.label.in_(self.lang),
                    basis=self.basis(p.legal_basis),
                    subjects=tuple(s.in_(self.lang) for s in p.subjects),
                    categories=tuple(self.category(c) for c in p.categories),
                    consent=p.legal_basis is LegalBasis.CONSENT,
                )
                for p in self.policy.purposes.values()
                if p.area == area
            )
            if purposes:
                views.append(AreaView(area, self.t.gettext(phrases.AREAS[area]), purposes))
        return tuple(views)

    def provision(self, purpose: Purpose) -> ProvisionView:
        without = purpose.provision.without if purpose.provision else None
        return ProvisionView(
            purpose=purpose.label.in_(self.lang),
            kind=self.t.gettext(phrases.PROVISIONS[purpose.provision_kind]),
            without=without.in_(self.lang) if without else None,
        )

    def cookie(self, cookie: Cookie) -> CookieView:
        return CookieView(
            name=cookie.sent_name,
            purpose=self.t.gettext(phrases.COOKIE_PURPOSES[cookie.name]),
            lifetime=phrases.cookie_lifetime(cookie.max_age, self.t),
        )

    def category(self, category_id: str) -> CategoryView:
        category = self.policy.categories[category_id]
        return CategoryView(category.label.in_(self.lang), category.description.in_(self.lang))

    def recipient(self, recipient: Recipient) -> RecipientView:
        # Fields grouped under their category, in the order the policy names them; whole
        # categories after them; fields holding no personal data in themselves last.
        by_category: dict[str | None, list[str]] = {}
        for dotted in recipient.fields:
            category = self.field_categories.get(dotted)
            if category not in self.policy.categories:
                category = None
            by_category.setdefault(category, []).append(phrases.field_name(dotted, self.t))
        whole = set(recipient.categories)
        receives = [
            self.transmitted(c, () if c in whole else tuple(names))
            for c, names in by_category.items()
            if c is not None
        ]
        receives += [self.transmitted(c, ()) for c in recipient.categories if c not in by_category]
        if None in by_category:
            other = self.t.gettext(phrases.OTHER_DATA)
            receives.append(Transmitted(other, tuple(by_category[None]), None))
        return RecipientView(
            label=recipient.label.in_(self.lang),
            basis=self.basis(recipient.basis),
            receives=tuple(receives),
        )

    def transmitted(self, category_id: str, fields: tuple[str, ...]) -> Transmitted:
        category = self.category(category_id)
        return Transmitted(category.label, fields, None if fields else category.description)

    def retention(self, rule: RetentionRule) -> RetentionView:
        return RetentionView(
            label=rule.label.in_(self.lang),
            months=rule.months,
            duration=phrases.duration(rule.months, self.t),
            clock=phrases.clock_phrase(
                rule.record,
                rule.clock,
                self.t,
                self.lang,
                financial_year=self.policy.financial_year,
            ),
            action=rule.action,
            hold=(
                HoldView(rule.hold.reason.in_(self.lang), self.basis(rule.hold.basis))
                if rule.hold
                else None
            ),
            warning_days=rule.warning.days_before if rule.warning else None,
        )

    def hosting(self) -> HostingView:
        h = self.policy.hosting
        country = Locale.parse(self.lang).territories.get(h.country, h.country)
        return HostingView(
            provider=h.provider,
            region=h.region,
            country=country,
            country_code=h.country,
            transfers_outside_eu=h.transfers_outside_eu,
            terms_url=_web_url(h.terms_url),
            access=h.access.in_(self.lang) if h.access else None,
        )


def _web_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) address: a notice links to nothing else (no ``javascript:``)."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None

"""Derive the register from the policy: every value is read from it, only the wording is fixed."""

from __future__ import annotations

from gardien.domain.clocks import RETENTION_CLOCKS, RetentionClock
from gardien.i18n.dates import format_month_day
from gardien.policy import Policy
from gardien.policy.model import Purpose, RetentionRule
from gardien.services.register import wording as w
from gardien.services.register.model import (
    Activity,
    CategoryEntry,
    Contact,
    LegalBasisEntry,
    RecipientEntry,
    RecipientKind,
    Register,
    RetentionEntry,
    Transfers,
)
from gardien.services.register.wording import Lang


def build_register(policy: Policy, lang: Lang) -> Register:
    """The Art. 30 record of ``policy`` in ``lang``: one activity per purpose, in policy order."""
    if lang not in w.LANGS:
        raise ValueError(f"unknown language {lang!r}: expected one of {', '.join(w.LANGS)}")
    controller = policy.controller
    return Register(
        lang=lang,
        policy_version=policy.version,
        controller=Contact(
            name=controller.name, email=str(controller.email), address=controller.address
        ),
        dpo=Contact(
            name=controller.dpo.name,
            email=str(controller.dpo.email),
            address=controller.dpo.address,
        ),
        activities=tuple(
            _activity(policy, purpose_id, purpose, lang)
            for purpose_id, purpose in policy.purposes.items()
        ),
    )


def _activity(policy: Policy, purpose_id: str, purpose: Purpose, lang: Lang) -> Activity:
    return Activity(
        purpose_id=purpose_id,
        purpose=purpose.label.in_(lang),
        legal_basis=_legal_basis(purpose, lang),
        data_subjects=tuple(subject.in_(lang) for subject in purpose.subjects),
        data_categories=tuple(_category(policy, cid, lang) for cid in purpose.categories),
        # The policy format has no special categories (art. 9) nor criminal data (art. 10).
        sensitive_data=w.SENSITIVE_NONE.in_(lang),
        recipients=_recipients(policy, purpose_id, lang),
        transfers=_transfers(policy, lang),
        retention=_retention(policy, purpose, lang),
        security=_security(policy, lang),
    )


def _security(policy: Policy, lang: Lang) -> tuple[str, ...]:
    """The policy's measures, and its backup rule (how long backups are kept) when it has one."""
    measures = [m.in_(lang) for m in policy.security]
    if policy.backups is not None:
        measures.append(w.BACKUPS.in_(lang).format(days=policy.backups.days))
    return tuple(measures) or (w.SECURITY_NONE.in_(lang),)


def _legal_basis(purpose: Purpose, lang: Lang) -> LegalBasisEntry:
    basis = purpose.legal_basis
    name = w.LEGAL_BASIS_NAMES[basis].in_(lang)
    return LegalBasisEntry(
        basis=basis,
        article=basis.article,
        name=name,
        text=w.LEGAL_BASIS.in_(lang).format(name=name, article=basis.article),
    )


def _category(policy: Policy, category_id: str, lang: Lang) -> CategoryEntry:
    category = policy.categories[category_id]
    label = category.label.in_(lang)
    description = category.description.in_(lang)
    return CategoryEntry(
        id=category_id,
        label=label,
        description=description,
        text=w.CATEGORY.in_(lang).format(label=label, description=description),
    )


def _recipients(policy: Policy, purpose_id: str, lang: Lang) -> tuple[RecipientEntry, ...]:
    """The third parties transmissions for this purpose go to, then the host and the staff,
    who receive every activity's data."""
    third_parties = [
        RecipientEntry(
            kind=RecipientKind.THIRD_PARTY,
            id=recipient_id,
            funding=funding,
            label=recipient.label.in_(lang),
            text=w.RECIPIENT.in_(lang).format(
                label=recipient.label.in_(lang), funding=w.FUNDING_NAMES[funding].in_(lang)
            ),
        )
        for funding, rule in policy.disclosure.items()
        for recipient_id, recipient in rule.recipients.items()
        if recipient.purpose == purpose_id
    ]
    provider = policy.hosting.provider
    host = RecipientEntry(
        kind=RecipientKind.PROCESSOR,
        label=provider,
        text=w.HOST.in_(lang).format(provider=provider),
    )
    staff_text = w.STAFF.in_(lang)
    staff = RecipientEntry(kind=RecipientKind.STAFF, label=staff_text, text=staff_text)
    return (*third_parties, host, staff)


def _transfers(policy: Policy, lang: Lang) -> Transfers:
    hosting = policy.hosting
    wording = w.TRANSFERS_DECLARED if hosting.transfers_outside_eu else w.TRANSFERS_NONE
    return Transfers(
        outside_eu=hosting.transfers_outside_eu,
        provider=hosting.provider,
        country=hosting.country,
        text=wording.in_(lang).format(provider=hosting.provider, country=hosting.country),
    )


def _retention(policy: Policy, purpose: Purpose, lang: Lang) -> tuple[RetentionEntry, ...]:
    """The rules covering the purpose's categories, each once with the categories it covers
    here, in the order the purpose lists them; a category no rule covers says so."""
    covered: dict[str, list[str]] = {}
    uncovered: list[str] = []
    for category_id in purpose.categories:
        rules = policy.rules_for_category(category_id)
        if not rules:
            uncovered.append(category_id)
        for rule_id, _ in rules:
            covered.setdefault(rule_id, []).append(category_id)
    entries = [
        _rule_entry(policy, rule_id, policy.retention[rule_id], categories, lang)
        for rule_id, categories in covered.items()
    ]
    entries += [
        RetentionEntry(
            rule=None,
            label=policy.categories[cid].label.in_(lang),
            months=None,
            categories=(cid,),
            text=w.RETENTION_NONE.in_(lang).format(category=policy.categories[cid].label.in_(lang)),
        )
        for cid in uncovered
    ]
    return tuple(entries)


def _rule_entry(
    policy: Policy, rule_id: str, rule: RetentionRule, categories: list[str], lang: Lang
) -> RetentionEntry:
    label = rule.label.in_(lang)
    clock = RETENTION_CLOCKS.get((rule.record, rule.clock))
    values = {
        "label": label,
        "categories": ", ".join(policy.categories[c].label.in_(lang) for c in categories),
        "duration": w.months(rule.months, lang),
        "action": w.ACTIONS[rule.action].in_(lang),
    }
    if clock is None:
        text = w.RETENTION_NO_CLOCK.in_(lang).format(**values)
    else:
        text = w.RETENTION.in_(lang).format(**values, clock=_clock_words(policy, clock, lang))
    return RetentionEntry(
        rule=rule_id, label=label, months=rule.months, categories=tuple(categories), text=text
    )


def _clock_words(policy: Policy, clock: RetentionClock, lang: Lang) -> str:
    """When the period starts; a clock counted from a financial year's close names its day."""
    words = clock.en if lang == "en" else clock.fr
    if not clock.financial_year:
        return words
    year = policy.financial_year
    year_end = format_month_day(year.month, year.day, lang)
    return w.FINANCIAL_YEAR_CLOCK.in_(lang).format(clock=words, year_end=year_end)

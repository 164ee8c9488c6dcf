"""The notice states the policy's facts, and follows the policy when it changes."""

from __future__ import annotations

import pytest
from babel import Locale

from gardien.domain.clocks import RETENTION_CLOCKS
from gardien.domain.vocabulary import FundingType, LegalBasis
from gardien.i18n import SUPPORTED
from gardien.policy import Policy, load_policy
from gardien.services.notice import build_notice, phrases, render_notice
from gardien.store.catalogue import record_catalogue


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(None, catalogue=record_catalogue())


def _months(months: int, lang: str) -> str:
    unit = {"fr": "mois", "en": "month" if months == 1 else "months"}[lang]
    return f"{months} {unit}"


def _years(years: int, lang: str) -> str:
    unit = {"fr": "an" if years == 1 else "ans", "en": "year" if years == 1 else "years"}[lang]
    return f"{years} {unit}"


@pytest.mark.parametrize("lang", SUPPORTED)
def test_every_fact_of_the_policy_is_in_the_notice(policy: Policy, lang: str) -> None:
    text = render_notice(policy, lang=lang, fmt="md")
    facts = [
        policy.version,
        policy.controller.name,
        policy.controller.address,
        policy.controller.email,
        policy.controller.dpo.name,
        policy.controller.dpo.email,
        policy.hosting.provider,
        policy.hosting.region,
        Locale.parse(lang).territories[policy.hosting.country],
    ]
    if policy.hosting.terms_url:
        facts.append(policy.hosting.terms_url)
    if policy.hosting.access:
        facts.append(policy.hosting.access.in_(lang))
    if policy.authority:
        facts += [policy.authority.name.in_(lang), policy.authority.url]
    facts += [measure.in_(lang) for measure in policy.security]
    for rule in policy.retention.values():
        facts.append(rule.label.in_(lang))
        if rule.months:
            duration = _months(rule.months, lang)
            if rule.months % 12 == 0:
                duration += f" ({_years(rule.months // 12, lang)})"
            facts.append(duration)
        if rule.hold:
            facts.append(rule.hold.reason.in_(lang))
        if rule.warning:
            facts.append(f" {rule.warning.days_before} ")
    for purpose in policy.purposes.values():
        facts.append(purpose.label.in_(lang))
        facts.append(f"6(1)({'abcdef'[list(LegalBasis).index(purpose.legal_basis)]})")
        facts += [subject.in_(lang) for subject in purpose.subjects]
    for category in policy.categories.values():
        facts.append(category.label.in_(lang))
    for disclosure in policy.disclosure.values():
        facts.append(disclosure.summary.in_(lang))
        facts += [recipient.label.in_(lang) for recipient in disclosure.recipients.values()]
    missing = [fact for fact in facts if fact not in text]
    assert not missing


def test_each_rule_states_its_duration_from_its_clock(policy: Policy) -> None:
    fr = render_notice(policy, lang="fr", fmt="md")
    en = render_notice(policy, lang="en", fmt="md")
    assert "18 mois après la dernière activité, puis suppression" in fr
    assert "18 months after the last activity, then deleted" in en
    assert (
        "120 mois (10 ans) à compter de la clôture de l'exercice comptable au cours duquel la"
        " facture a été émise (clôture au 31 décembre), puis suppression" in fr
    )
    assert (
        "120 months (10 years) from the close of the financial year in which the invoice was"
        " issued (year closing on 31 December), then deleted" in en
    )
    assert "72 mois (6 ans) après la fin de la formation" in fr
    assert "72 months (6 years) after the end of the training" in en
    assert "suppression immédiate après la désinscription" in fr
    assert "deleted immediately after unsubscribing" in en
    assert "then anonymised" in en
    assert "30 jours avant la fin de ce délai" in fr
    assert "We e-mail you 30 days before this period ends" in en


def test_a_changed_policy_changes_the_notice(policy: Policy) -> None:
    learners = policy.retention["learner_data"]
    changed = policy.model_copy(
        update={
            "retention": {
                **policy.retention,
                "learner_data": learners.model_copy(update={"months": 24}),
            }
        }
    )
    assert changed.version != policy.version
    fr = render_notice(changed, lang="fr", fmt="md")
    en = render_notice(changed, lang="en", fmt="md")
    assert "24 mois (2 ans) après la dernière activité" in fr
    assert "24 months (2 years) after the last activity" in en
    assert "18 months after the last activity" not in en
    assert changed.version in en
    assert policy.version not in en


def test_a_policy_without_consent_promises_no_unsubscribe_link(policy: Policy) -> None:
    purposes = {pid: p for pid, p in policy.purposes.items() if p.legal_basis != "consent"}
    notice = build_notice(policy.model_copy(update={"purposes": purposes}), lang="en")
    assert not notice.asks_consent
    text = render_notice(policy.model_copy(update={"purposes": purposes}), lang="en", fmt="md")
    assert "unsubscribe link" not in text
    assert "Withdrawal of consent" not in text
    assert "unsubscribe link" in render_notice(policy, lang="en", fmt="md")


def test_transfers_and_a_missing_authority_are_told(policy: Policy) -> None:
    hosting = policy.hosting.model_copy(update={"transfers_outside_eu": True, "terms_url": None})
    text = render_notice(
        policy.model_copy(update={"hosting": hosting, "authority": None}), lang="fr", fmt="md"
    )
    assert "Certaines données sont transférées hors de l'Union européenne." in text
    assert "Aucune donnée n'est transférée" not in text
    assert "l'autorité de contrôle en matière de protection des données." in text


def test_a_non_web_address_is_never_a_link(policy: Policy) -> None:
    assert policy.authority is not None
    authority = policy.authority.model_copy(update={"url": "javascript:alert(1)"})
    notice = build_notice(policy.model_copy(update={"authority": authority}), lang="en")
    assert notice.authority is not None
    assert notice.authority.url is None


def test_recipients_get_fields_grouped_by_category(policy: Policy) -> None:
    notice = build_notice(policy, lang="en")
    cpf = next(d for d in notice.disclosures if d.funding == "CPF-type funding")
    (funding_body,) = cpf.recipients
    received = {item.label: item.fields for item in funding_body.receives}
    assert received["Identity"] == ("given name", "family name")
    assert "EDOF dossier number" in received["CPF funding dossier"]
    employer = next(d for d in notice.disclosures if d.funding == "An employer's training plan")
    whole = [item for item in employer.recipients[0].receives if not item.fields]
    assert [(item.label, item.description) for item in whole] == [
        ("Learning path", "Enrolments, modules followed, progress and results.")
    ]
    online = next(d for d in notice.disclosures if d.funding == "Contracts paid online")
    assert online.recipients == ()


def test_the_invoice_period_names_a_year_end_the_policy_changes(policy: Policy) -> None:
    controller = policy.controller.model_copy(update={"financial_year_end": "06-30"})
    june = policy.model_copy(update={"controller": controller})
    fr = render_notice(june, lang="fr", fmt="md")
    en = render_notice(june, lang="en", fmt="md")
    assert "au cours duquel la facture a été émise (clôture au 30 juin)" in fr
    assert "in which the invoice was issued (year closing on 30 June)" in en
    assert "31 décembre" not in fr and "31 December" not in en


def test_the_cpf_dossier_holds_the_completion_rate_edof_asks_for(policy: Policy) -> None:
    fr = render_notice(policy, lang="fr", fmt="md")
    assert "taux de réalisation" in fr
    assert "assiduité" not in fr.replace("justificatifs d'assiduité", "")


def test_every_vocabulary_has_words() -> None:
    assert set(phrases.LEGAL_BASES) == set(LegalBasis)
    assert set(phrases.FUNDING_TYPES) == set(FundingType)
    assert {name for (_, name) in RETENTION_CLOCKS} <= set(phrases.CLOCKS)


def test_every_field_the_default_policy_transmits_has_a_name(policy: Policy) -> None:
    fields = {
        field
        for disclosure in policy.disclosure.values()
        for recipient in disclosure.recipients.values()
        for field in recipient.fields
    }
    assert fields <= set(phrases.FIELDS)

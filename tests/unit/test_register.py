"""The Art. 30 register says what the policy says, in every format and both languages."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import html5lib
import pytest
import yaml

from gardien.domain.vocabulary import FundingType, LegalBasis, RetentionAction
from gardien.policy import DEFAULT_POLICY_PATH, Policy, load_policy
from gardien.services.register import (
    CELL_SEPARATOR,
    LANGS,
    Lang,
    as_csv,
    as_html,
    as_json,
    build_register,
)
from gardien.services.register import wording as w
from gardien.store.catalogue import record_catalogue

XHTML = "{http://www.w3.org/1999/xhtml}"
CSV_KEYS = [c.key for c in (*w.ACTIVITY_COLUMNS, *w.HEADER_COLUMNS)]


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(None, catalogue=record_catalogue())


def rows(policy: Policy, lang: Lang) -> dict[str, dict[str, str]]:
    """The CSV register parsed back, keyed by purpose id, cells keyed by column key."""
    reader = csv.DictReader(io.StringIO(as_csv(build_register(policy, lang))))
    headings = {c.heading.in_(lang): c.key for c in (*w.ACTIVITY_COLUMNS, *w.HEADER_COLUMNS)}
    assert reader.fieldnames is not None
    assert [headings[name] for name in reader.fieldnames] == CSV_KEYS
    parsed = [{headings[k]: v for k, v in row.items()} for row in reader]
    by_id = {row["purpose_id"]: row for row in parsed}
    assert len(by_id) == len(parsed)
    return by_id


def cell(row: dict[str, str], key: str) -> list[str]:
    return row[key].split(CELL_SEPARATOR)


@pytest.mark.parametrize("lang", LANGS)
def test_csv_has_one_filled_row_per_purpose(policy: Policy, lang: Lang) -> None:
    table = rows(policy, lang)
    assert list(table) == list(policy.purposes)
    for purpose_id, row in table.items():
        empty = [key for key, value in row.items() if not value.strip()]
        assert empty == [], purpose_id
        assert row["purpose"] == policy.purposes[purpose_id].label.in_(lang)
        assert row["policy_version"] == policy.version
        assert row["controller_name"] == policy.controller.name
        assert row["dpo_email"] == policy.controller.dpo.email


@pytest.mark.parametrize("lang", LANGS)
def test_csv_headings_are_in_the_language(policy: Policy, lang: Lang) -> None:
    header = as_csv(build_register(policy, lang)).splitlines()[0]
    version = "Version de la politique" if lang == "fr" else "Policy version"
    assert header.endswith(version)


@pytest.mark.parametrize("lang", LANGS)
def test_legal_basis_names_the_article(policy: Policy, lang: Lang) -> None:
    for purpose_id, row in rows(policy, lang).items():
        basis = policy.purposes[purpose_id].legal_basis
        assert basis.article in row["legal_basis"]
        assert w.LEGAL_BASIS_NAMES[basis].in_(lang) in row["legal_basis"]


def test_every_vocabulary_value_has_wording() -> None:
    assert set(w.LEGAL_BASIS_NAMES) == set(LegalBasis)
    assert set(w.FUNDING_NAMES) == set(FundingType)
    assert set(w.ACTIONS) == set(RetentionAction)


@pytest.mark.parametrize("lang", LANGS)
def test_subjects_and_categories_come_from_the_purpose(policy: Policy, lang: Lang) -> None:
    for purpose_id, row in rows(policy, lang).items():
        purpose = policy.purposes[purpose_id]
        assert cell(row, "data_subjects") == [s.in_(lang) for s in purpose.subjects]
        categories = cell(row, "data_categories")
        assert len(categories) == len(purpose.categories)
        for text, category_id in zip(categories, purpose.categories, strict=True):
            assert text.startswith(policy.categories[category_id].label.in_(lang))


@pytest.mark.parametrize("lang", LANGS)
def test_sponsor_exchanges_lists_each_of_its_disclosure_recipients(
    policy: Policy, lang: Lang
) -> None:
    expected = [
        (recipient.label.in_(lang), w.FUNDING_NAMES[funding].in_(lang))
        for funding, rule in policy.disclosure.items()
        for recipient in rule.recipients.values()
        if recipient.purpose == "sponsor_exchanges"
    ]
    assert expected, "the default policy transmits data for sponsor_exchanges"
    recipients = cell(rows(policy, lang)["sponsor_exchanges"], "recipients")
    for label, funding in expected:
        assert any(label in r and funding in r for r in recipients), (label, funding)
    # ... plus the host and the staff, and nothing else.
    assert len(recipients) == len(expected) + 2


@pytest.mark.parametrize("lang", LANGS)
def test_every_purpose_lists_the_host_and_the_staff(policy: Policy, lang: Lang) -> None:
    host = w.HOST.in_(lang).format(provider=policy.hosting.provider)
    for row in rows(policy, lang).values():
        recipients = cell(row, "recipients")
        assert recipients[-2:] == [host, w.STAFF.in_(lang)]
    processor = "hébergeur (sous-traitant)" if lang == "fr" else "host (processor)"
    assert processor in host


def test_online_payment_contributes_no_recipient(policy: Policy) -> None:
    online = w.FUNDING_NAMES[FundingType.ONLINE_PAYMENT]
    register = build_register(policy, "fr")
    funded = [r.funding for a in register.activities for r in a.recipients]
    assert FundingType.ONLINE_PAYMENT not in funded
    assert all(online.fr not in row["recipients"] for row in rows(policy, "fr").values())


@pytest.mark.parametrize("lang", LANGS)
def test_retention_states_the_months_of_every_covering_rule(policy: Policy, lang: Lang) -> None:
    for purpose_id, row in rows(policy, lang).items():
        retention = cell(row, "retention")
        expected = {
            rule_id: rule
            for category_id in policy.purposes[purpose_id].categories
            for rule_id, rule in policy.rules_for_category(category_id)
        }
        assert len(retention) == len(expected), purpose_id
        for rule in expected.values():
            duration = w.months(rule.months, lang)
            assert any(rule.label.in_(lang) in r and duration in r for r in retention)


@pytest.mark.parametrize("lang", LANGS)
def test_no_transfer_outside_the_union(policy: Policy, lang: Lang) -> None:
    none = "Aucun" if lang == "fr" else "None"
    for row in rows(policy, lang).values():
        assert row["transfers"].startswith(none)
        assert policy.hosting.provider in row["transfers"]
        assert policy.hosting.country in row["transfers"]


@pytest.mark.parametrize("lang", LANGS)
def test_no_sensitive_data_and_the_policy_security_measures(policy: Policy, lang: Lang) -> None:
    for row in rows(policy, lang).values():
        assert row["sensitive_data"] == w.SENSITIVE_NONE.in_(lang)
        assert policy.backups is not None
        backups = w.BACKUPS.in_(lang).format(days=policy.backups.days)
        assert cell(row, "security") == [*(m.in_(lang) for m in policy.security), backups]
        assert f" {policy.backups.days} " in backups  # the policy's backup rule, stated


def tbody_rows(document: str) -> list[ET.Element]:
    tree = html5lib.HTMLParser(strict=True).parse(document)
    tbody = tree.find(f".//{XHTML}tbody")
    assert tbody is not None
    return tbody.findall(f"{XHTML}tr")


@pytest.mark.parametrize("lang", LANGS)
def test_html_is_a_valid_document_with_a_row_per_purpose(policy: Policy, lang: Lang) -> None:
    document = as_html(build_register(policy, lang))
    trs = tbody_rows(document)
    assert [tr.get("id") for tr in trs] == [f"purpose-{pid}" for pid in policy.purposes]
    tree = html5lib.HTMLParser(strict=True).parse(document)
    assert tree.get("lang") == lang
    headers = tree.findall(f".//{XHTML}thead//{XHTML}th")
    assert [th.get("scope") for th in headers] == ["col"] * len(w.ACTIVITY_COLUMNS)
    assert "<script" not in document.lower()
    assert policy.version in document


def test_html_escapes_what_the_policy_says(policy: Policy) -> None:
    purposes = dict(policy.purposes)
    purposes["billing"] = purposes["billing"].model_copy(
        update={"label": purposes["billing"].label.model_copy(update={"fr": "<b>Factures</b>"})}
    )
    document = as_html(build_register(policy.model_copy(update={"purposes": purposes}), "fr"))
    assert "&lt;b&gt;Factures&lt;/b&gt;" in document
    assert "<b>" not in document
    assert len(tbody_rows(document)) == len(purposes)


@pytest.mark.parametrize("lang", LANGS)
def test_json_round_trips_and_holds_the_version(policy: Policy, lang: Lang) -> None:
    data = as_json(build_register(policy, lang))
    assert json.loads(json.dumps(data)) == data
    assert data["policy_version"] == policy.version
    assert data["lang"] == lang
    assert [a["purpose_id"] for a in data["activities"]] == list(policy.purposes)
    sponsor = next(a for a in data["activities"] if a["purpose_id"] == "sponsor_exchanges")
    kinds = [r["kind"] for r in sponsor["recipients"]]
    assert kinds[-2:] == ["processor", "staff"]
    assert set(kinds[:-2]) == {"third_party"}


def test_an_unknown_language_is_refused(policy: Policy) -> None:
    with pytest.raises(ValueError, match="unknown language 'de'"):
        build_register(policy, "de")  # type: ignore[arg-type]


def test_longer_learner_retention_changes_the_register(policy: Policy) -> None:
    rule = policy.retention["learner_data"]
    retention = {**policy.retention, "learner_data": rule.model_copy(update={"months": 24})}
    changed = policy.model_copy(update={"retention": retention})

    def learner_part(register_rows: Any) -> str:
        text = register_rows["pedagogical_support"]["retention"]
        return next(part for part in text.split("\n") if "Learners' personal data" in part)

    before, after = learner_part(rows(policy, "en")), learner_part(rows(changed, "en"))
    assert "18 months" in before and "24 months" not in before
    assert "24 months" in after and "18 months" not in after
    assert as_json(build_register(changed, "en"))["policy_version"] != policy.version


@pytest.mark.parametrize(
    ("year_end", "lang", "clock"),
    [
        (
            "12-31",
            "fr",
            "120 mois à compter de la clôture de l'exercice comptable au cours duquel la facture"
            " a été émise (clôture au 31 décembre), puis suppression",
        ),
        (
            "12-31",
            "en",
            "120 months from the close of the financial year in which the invoice was issued"
            " (year closing on 31 December), then deleted",
        ),
        ("06-30", "fr", "(clôture au 30 juin), puis suppression"),
        ("06-30", "en", "(year closing on 30 June), then deleted"),
    ],
)
def test_invoices_count_from_the_close_of_their_financial_year(
    policy: Policy, year_end: str, lang: Lang, clock: str
) -> None:
    controller = policy.controller.model_copy(update={"financial_year_end": year_end})
    changed = policy.model_copy(update={"controller": controller})
    (invoices,) = [
        part
        for part in cell(rows(changed, lang)["billing"], "retention")
        if part.startswith(policy.retention["invoices"].label.in_(lang))
    ]
    assert invoices.endswith(clock)


def test_the_cpf_dossier_holds_the_completion_rate(policy: Policy) -> None:
    categories = " ".join(cell(rows(policy, "fr")["sponsor_exchanges"], "data_categories"))
    assert "taux de réalisation" in categories
    assert "taux d'assiduité" not in categories


def test_an_added_purpose_in_the_yaml_adds_a_row(tmp_path: Path) -> None:
    document: dict[str, Any] = yaml.safe_load(DEFAULT_POLICY_PATH.read_text("utf-8"))
    document["purposes"]["alumni_survey"] = {
        "label": {"fr": "Enquête auprès des anciens", "en": "Alumni survey"},
        "legal_basis": "consent",
        "subjects": [{"fr": "Anciens apprenants", "en": "Former learners"}],
        "categories": ["identity"],
    }
    document["disclosure"]["employer_plan"]["recipients"]["employer"]["purpose"] = "alumni_survey"
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    changed = load_policy(path, catalogue=record_catalogue())
    table = rows(changed, "en")
    survey = table["alumni_survey"]
    assert survey["legal_basis"] == "Consent (GDPR Art. 6(1)(a))"
    assert cell(survey, "recipients")[0] == "Employer — an employer's training plan"
    assert "Employer —" not in table["sponsor_exchanges"]["recipients"]


def test_declared_transfers_and_no_security_are_said(policy: Policy) -> None:
    hosting = policy.hosting.model_copy(update={"transfers_outside_eu": True, "country": "US"})
    changed = policy.model_copy(update={"hosting": hosting, "security": [], "backups": None})
    for row in rows(changed, "fr").values():
        assert row["transfers"].startswith("Oui")
        assert "US" in row["transfers"]
        assert row["security"] == w.SECURITY_NONE.fr


def test_a_category_without_rule_is_said(policy: Policy) -> None:
    retention = {k: r for k, r in policy.retention.items() if k != "outbox"}
    changed = policy.model_copy(update={"retention": retention})
    retention_cell = cell(rows(changed, "en")["pedagogical_support"], "retention")
    assert retention_cell[-1] == "E-mails sent: no retention rule in the policy"

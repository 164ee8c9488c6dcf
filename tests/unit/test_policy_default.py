"""Every fact of the privacy notice is in the default policy, as ``gardien policy show`` prints it.

The notice is ``../shared/seed/000_89d7073009e8f16c.txt``; each test quotes the sentence it
checks. The facts are read from the JSON the command prints, so what is tested is what a
person (or the notice generator) sees.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gardien.cli.main import main
from gardien.store.classify import classifications
from gardien.store.tables import metadata

Json = dict[str, Any]

# Category of every column of the shipped data model, "table.column" -> category (or None).
# Personal columns by category; keyed lookups (how a person finds a record, never shown) aside.
COLUMN_CATEGORY = {
    column.dotted: column.category for column in classifications(metadata) if not column.lookup
}
PATH_AND_ACTIVITY = {"learning_path", "activity"}


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Json:
    """The default policy as ``gardien policy show --format json`` prints it."""
    monkeypatch.delenv("GARDIEN_POLICY", raising=False)
    assert main(["policy", "show", "--format", "json"]) == 0
    data: Json = json.loads(capsys.readouterr().out)
    return data


def rules(shown: Json, **where: Any) -> list[Json]:
    """The retention rules whose keys equal ``where``."""
    return [
        rule
        for rule in shown["retention"].values()
        if all(rule.get(key) == value for key, value in where.items())
    ]


def the_rule(shown: Json, **where: Any) -> Json:
    found = rules(shown, **where)
    assert len(found) == 1, f"expected one rule with {where}, found {len(found)}"
    return found[0]


def purposes_of(shown: Json, category: str) -> list[Json]:
    return [p for p in shown["purposes"].values() if category in p["categories"]]


def test_the_output_is_the_default_policy(shown: Json) -> None:
    assert shown["format"] == 1
    assert shown["source"].endswith("default.yaml")
    assert len(shown["version"]) == 12


def test_learner_data_is_kept_18_months_after_the_last_activity(shown: Json) -> None:
    # « Les données personnelles sont conservées 18 mois après la dernière activité. »
    rule = the_rule(shown, record="learner", clock="last_activity")
    assert rule["months"] == 18
    assert rule["action"] == "delete"
    # « identité, parcours d'apprentissage des apprenants et leur activité sur la plateforme »
    assert {"identity", "learning_path", "activity"} <= set(rule["categories"])
    assert {"enrolment", "module_progress", "activity_statement"} <= set(rule["with_records"])
    # Nothing of these categories outlives the promise (activity about a person who is not a
    # learner goes sooner, one month after it is received, unless a learner is linked to it).
    unlinked = the_rule(shown, record="activity_statement", clock="unlinked")
    assert (unlinked["months"], unlinked["action"]) == (1, "delete")
    for category in ("identity", "learning_path", "activity"):
        months = {r["months"] for r in rules(shown) if category in r["categories"]}
        assert max(months) == 18, category


def test_learning_data_serves_pedagogical_support_and_sponsor_exchanges(shown: Json) -> None:
    # « accompagnement pédagogique de l'apprenant et les échanges pédagogiques et comptables
    #   avec les éventuels commanditaires de leur formation »
    labels = {p["label"]["fr"] for p in purposes_of(shown, "learning_path")}
    assert any("pédagogique" in label for label in labels)
    assert any("commanditaire" in label for label in labels)


def test_invoices_are_kept_120_months_with_their_personal_data(shown: Json) -> None:
    # « Les factures sont conservées 120 mois (incluant les données personnelles associées). »
    rule = the_rule(shown, record="invoice")
    # The accounting duty (Code de commerce, art. L123-22) runs from the close of the
    # financial year the invoice was issued in; the controller's year ends in December.
    assert rule["clock"] == "financial_year_close"
    assert shown["controller"]["financial_year_end"] == "12-31"
    assert rule["months"] == 120
    assert "billing" in rule["categories"]
    billing_fields = {dotted for dotted, cat in COLUMN_CATEGORY.items() if cat == "billing"}
    assert billing_fields == {
        "invoice.billing_name",
        "invoice.billing_address",
        "invoice.billing_email",
    }
    hold = rule["hold"]
    assert billing_fields <= set(hold["fields"])
    assert hold["basis"] == "legal_obligation"
    # Nothing else decides how long billing data lives.
    assert [r["months"] for r in rules(shown) if "billing" in r["categories"]] == [120]


def test_opco_data_is_kept_72_months_after_the_training_ends(shown: Json) -> None:
    # « Les données relatives aux OPCO sont conservées 72 mois »
    rule = the_rule(shown, record="opco_dossier")
    assert rule["clock"] == "training_end"
    assert rule["months"] == 72
    assert rule["categories"] == ["opco_evidence"]
    opco_tables = {
        dotted.partition(".")[0]
        for dotted, category in COLUMN_CATEGORY.items()
        if category == "opco_evidence"
    }
    assert opco_tables == {"opco_dossier"}


def test_commercial_contact_is_the_email_and_last_contract_for_18_months(shown: Json) -> None:
    # « la plateforme conserve le courriel des utilisateurs et la référence de leur dernier
    #   contrat pendant 18 mois, outre les délais légaux de conservation des éléments de
    #   facturation (10 ans) »
    rule = the_rule(shown, record="commercial_contact")
    assert rule["clock"] == "last_contract_end"
    assert rule["months"] == 18
    assert rule["categories"] == ["commercial_contact"]
    # The record holds the e-mail and the last contract's reference, and the date its period
    # runs from; nothing else of the person.
    kept_columns = {
        dotted
        for dotted, category in COLUMN_CATEGORY.items()
        if dotted.startswith("commercial_contact.") and category is not None
    }
    assert kept_columns == {
        "commercial_contact.email",
        "commercial_contact.contract_reference",
        "commercial_contact.last_contract_end",
    }
    # Legitimate interest, not a legal duty: an erasure request removes it (no hold).
    assert rule["hold"] is None
    # The e-mail is the user's (a learner's), and no other rule keeps it past the account.
    assert [r for r in rules(shown) if r["hold"] and "learner.email" in r["hold"]["fields"]] == []
    commercial = purposes_of(shown, "commercial_contact")
    assert commercial
    assert all("commanditaire" in p["label"]["fr"] for p in commercial)
    assert {r["months"] for r in rules(shown) if "commercial_contact" in r["categories"]} == {18}


def test_online_payment_transmits_nothing(shown: Json) -> None:
    # « les données collectées ne font pas l'objet de transmission à des tiers »
    assert shown["disclosure"]["online_payment"]["recipients"] == {}


def test_cpf_funding_body_gets_administrative_data_only(shown: Json) -> None:
    # « les données personnelles transmises aux organismes de financement sont strictement
    #   limitées aux besoins administratifs »
    recipients = shown["disclosure"]["cpf"]["recipients"]
    assert recipients, "a CPF dossier is declared to the Caisse des Dépôts"
    for recipient in recipients.values():
        assert not PATH_AND_ACTIVITY & set(recipient["categories"])
        assert recipient["fields"]
        for dotted in recipient["fields"]:
            assert COLUMN_CATEGORY[dotted] not in PATH_AND_ACTIVITY, dotted
            assert COLUMN_CATEGORY[dotted] in {"identity", "funding_administrative"}, dotted
        assert "learner.email" not in recipient["fields"]


@pytest.mark.parametrize("funding", ["employer_plan", "school_plan"])
def test_training_plans_get_administrative_data_and_the_learning_path(
    shown: Json, funding: str
) -> None:
    # « les données transmises peuvent porter sur le parcours lui-même, outre les
    #   informations administratives »
    recipients = list(shown["disclosure"][funding]["recipients"].values())
    assert len(recipients) == 1
    recipient = recipients[0]
    assert recipient["categories"] == ["learning_path"]
    assert {"learner.given_name", "learner.family_name", "contract.reference"} <= set(
        recipient["fields"]
    )
    assert all(COLUMN_CATEGORY[f] != "activity" for f in recipient["fields"])


def test_every_funding_type_has_a_disclosure_rule(shown: Json) -> None:
    assert set(shown["disclosure"]) == {
        "online_payment",
        "cpf",
        "opco",
        "employer_plan",
        "school_plan",
    }


def test_newsletter_is_sent_with_consent_and_deleted_at_unsubscription(shown: Json) -> None:
    # « Le courriel des internautes s'étant inscrits à la newsletter [...] est utilisé pour
    #   apporter des informations relatives à SEJER. Chaque internaute peut ne plus recevoir
    #   ces communications en cliquant sur le lien de désinscription »
    (purpose,) = purposes_of(shown, "newsletter")
    assert purpose["legal_basis"] == "consent"
    assert "informations" in purpose["label"]["fr"]
    rule = the_rule(shown, record="newsletter_subscription", clock="unsubscribed")
    assert rule["months"] == 0
    assert rule["action"] == "delete"
    assert rule["hold"] is None
    # Double opt-in: a subscription never confirmed goes after a delay the policy sets.
    unconfirmed = the_rule(shown, record="newsletter_subscription", clock="unconfirmed")
    assert unconfirmed["months"] == 1
    assert unconfirmed["action"] == "delete"


def test_contact_form_data_has_a_purpose_and_a_retention(shown: Json) -> None:
    # « les coordonnées communiquées via le formulaire de contact sont utilisées pour apporter
    #   des informations relatives à SEJER »
    (purpose,) = purposes_of(shown, "contact_request")
    assert "formulaire de contact" in purpose["label"]["fr"]
    rule = the_rule(shown, record="contact_message")
    assert rule["categories"] == ["contact_request"]
    assert rule["months"] == 18
    contact_columns = {d for d, c in COLUMN_CATEGORY.items() if c == "contact_request"}
    assert {"contact_message.name", "contact_message.email"} <= contact_columns


def test_hosting_is_ovh_in_france_without_transfer_outside_the_eu(shown: Json) -> None:
    # « Les données personnelles sont stockées sur les serveurs de la société OVH et sont à
    #   disposition des utilisateurs selon les modalités d'authentification établies par la loi. »
    hosting = shown["hosting"]
    assert hosting["provider"] == "OVH"
    assert hosting["country"] == "FR"
    assert hosting["transfers_outside_eu"] is False
    assert "authentification" in hosting["access"]["fr"]


def test_every_category_has_a_purpose_and_a_retention_rule(shown: Json) -> None:
    for name in shown["categories"]:
        assert purposes_of(shown, name), name
        assert rules(shown) and any(name in r["categories"] for r in rules(shown)), name


def test_throttle_counters_are_declared_and_go_the_day_after_they_lapse(shown: Json) -> None:
    # Not in the notice's text, but kept by gardien for its own security: declared like every
    # record, so that the notice and the register say it (docs/accounts.md, "Throttling").
    (purpose,) = purposes_of(shown, "security")
    assert purpose["legal_basis"] == "legitimate_interests"
    rule = the_rule(shown, record="throttle_counter")
    assert (rule["clock"], rule["months"], rule["action"]) == ("lapsed", 0, "delete")
    assert rule["categories"] == ["security"]
    columns = {d: c for d, c in COLUMN_CATEGORY.items() if d.startswith("throttle_counter.")}
    assert columns.pop("throttle_counter.id") is None
    assert set(columns.values()) == {"security"}
    assert "IP" in shown["categories"]["security"]["description"]["en"]

"""``export_subject``: everything held about a person, by category, purpose and retention end."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select

from gardien.cli.main import main
from gardien.domain.clock import FixedClock
from gardien.domain.retention import retention_end
from gardien.policy import DEFAULT_POLICY_PATH, Policy, load_policy
from gardien.services.subject_export import SECRETS, export_subject
from gardien.store.catalogue import record_catalogue
from gardien.store.classify import classify
from gardien.store.tables import metadata, sponsor
from gardien.store.uow import UnitOfWork
from tests.support.lookup import LOOKUP
from tests.support.subject_samples import (
    AS_OF,
    ATELIER,
    CAMILLE,
    CAMILLE_BEFORE,
    CLAUDE,
    DOMINIQUE,
    LOU,
    MAEL,
    NOE,
    PASSWORD_HASH,
    SACHA,
    load_samples,
)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(DEFAULT_POLICY_PATH, catalogue=record_catalogue())


@pytest.fixture
def export(engine: Engine, policy: Policy) -> Any:
    load_samples(engine)

    def run(email: str, as_of: date = AS_OF) -> dict[str, Any]:
        uow = UnitOfWork(engine)
        return export_subject(
            email, uow=uow, policy=policy, clock=FixedClock.on(as_of), lookup=LOOKUP
        )

    return run


def records(result: dict[str, Any], category: str, record: str) -> list[dict[str, Any]]:
    section = next(c for c in result["categories"] if c["category"] == category)
    return [r for r in section["records"] if r["record"] == record]


def only(result: dict[str, Any], category: str, record: str) -> dict[str, Any]:
    [found] = records(result, category, record)
    return found


def column_categories(table: str) -> dict[str, str | None]:
    """Field name in an export → category of the column it comes from."""
    names: dict[str, str | None] = {}
    for column in metadata.tables[table].columns:
        name = column.name
        if column.foreign_keys:
            name = name.removesuffix("_id")
        name = SECRETS.get((table, column.name), name)
        names[name] = classify(column).category
    return names


def test_the_header_names_the_subject_the_date_and_the_policy(export: Any, policy: Policy) -> None:
    result = export(CAMILLE)
    assert result["subject"] == {"email": CAMILLE}
    assert result["as_of"] == "2026-06-01"
    assert result["policy_version"] == policy.version
    assert result["controller"]["dpo"]["email"] == str(policy.controller.dpo.email)
    assert result["found"] is True
    assert result["roles"] == [
        "learner",
        "individual_sponsor",
        "billing_contact",
        "newsletter_subscriber",
        "contact_form_sender",
        "email_recipient",
        "account_holder",
    ]


def test_records_are_grouped_by_the_category_of_their_columns(export: Any, policy: Policy) -> None:
    result = export(CAMILLE)
    expected = [
        "identity",
        "credentials",
        "learning_path",
        "activity",
        "contract",
        "billing",
        "funding_administrative",
        "opco_evidence",
        "commercial_contact",
        "newsletter",
        "contact_request",
        "correspondence",
    ]
    assert [c["category"] for c in result["categories"]] == expected
    for section in result["categories"]:
        assert section["label"] == policy.categories[section["category"]].label.model_dump()
        for record in section["records"]:
            of_column = column_categories(record["record"])
            for name in record["fields"]:
                assert of_column[name] == section["category"], (record["record"], name)
            for name in record["context"]:
                assert of_column.get(name) is None, (record["record"], name)


def test_each_category_carries_its_purposes_and_legal_bases(export: Any) -> None:
    result = export(CAMILLE)
    bases = {
        c["category"]: {(p["purpose"], p["legal_basis"], p["article"]) for p in c["purposes"]}
        for c in result["categories"]
    }
    assert bases["billing"] == {("billing", "legal_obligation", "6(1)(c)")}
    assert bases["newsletter"] == {("newsletter", "consent", "6(1)(a)")}
    assert bases["commercial_contact"] == {
        ("commercial_communication", "legitimate_interests", "6(1)(f)")
    }
    assert ("pedagogical_support", "contract", "6(1)(b)") in bases["identity"]
    assert ("sponsor_exchanges", "contract", "6(1)(b)") in bases["opco_evidence"]


def test_learner_data_ends_18_calendar_months_after_the_last_activity(export: Any) -> None:
    result = export(CAMILLE)
    for category, record in [
        ("identity", "learner"),
        ("learning_path", "enrolment"),
        ("activity", "activity_statement"),
        ("contract", "contract_learner"),
        ("funding_administrative", "cpf_dossier"),
    ]:
        for found in records(result, category, record):
            retention = found["retention"]
            assert retention["rule"] == "learner_data"
            assert retention["clock_value"] == "2024-08-31T18:00:00+00:00"
            assert retention["ends_on"] == "2026-02-28"  # 31 August + 18 months
            assert retention["status"] == "expired"


def test_a_learner_is_told_that_expiry_keeps_email_and_last_contract_18_months(
    export: Any,
) -> None:
    # Camille's account ends on 28 February 2026; her last contract, CT-1, ended on 31 December
    # 2024, so its commercial period runs to 30 June 2026: her expiry will keep her e-mail and
    # that contract's reference in a commercial_contact record until then.
    result = export(CAMILLE)
    kept = {
        "rule": "commercial_contact",
        "ends_on": "2026-06-30",
        "record": "commercial_contact",
    }
    identity = only(result, "identity", "learner")["retention"]
    assert identity["kept_longer"] == [{**kept, "fields": ["email"]}]
    memberships = {
        r["fields"]["contract"]: r["retention"]["kept_longer"]
        for r in records(result, "contract", "contract_learner")
    }
    assert memberships == {"CT-1": [{**kept, "fields": ["contract"]}], "CT-2": [], "CT-3": []}
    # Nothing else of the account outlives it, and no commercial contact exists yet.
    for section in result["categories"]:
        for record in section["records"]:
            if record["record"] not in {"learner", "contract_learner"}:
                assert record["retention"]["kept_longer"] == [], record["record"]
    assert [r["record"] for r in records(result, "commercial_contact", "sponsor")] == ["sponsor"]
    assert "commercial_contact" not in result["record_counts"]
    rule = result["retention_rules"]["commercial_contact"]
    assert (rule["record"], rule["clock"]["name"], rule["months"]) == (
        "commercial_contact",
        "last_contract_end",
        18,
    )
    # Legitimate interest, not a legal duty: an erasure request removes it too.
    assert rule["hold"] is None


def test_an_active_learner_is_told_the_end_of_their_last_contract_s_period(export: Any) -> None:
    # Sacha is active (kept to 10 November 2027); CT-4 ends on 30 September 2026.
    result = export(SACHA)
    identity = only(result, "identity", "learner")["retention"]
    assert (identity["ends_on"], identity["status"]) == ("2027-11-10", "running")
    assert identity["kept_longer"] == [
        {
            "rule": "commercial_contact",
            "fields": ["email"],
            "ends_on": "2028-03-30",
            "record": "commercial_contact",
        }
    ]


def test_nothing_is_kept_when_the_commercial_period_ends_first(export: Any) -> None:
    # Maël's last contract ended on 30 June 2025 (period to 30 December 2026); his account runs
    # to 15 September 2027: by then there is nothing left to keep.
    result = export(MAEL)
    assert only(result, "identity", "learner")["retention"]["kept_longer"] == []
    assert only(result, "contract", "contract_learner")["retention"]["kept_longer"] == []
    assert "commercial_contact" not in result["retention_rules"]


def test_an_overdue_sweep_keeps_no_commercial_contact_whose_period_is_over(export: Any) -> None:
    # Camille's account is still there months after its end (the sweep is late). Erased on
    # 30 June 2026, the last day of CT-1's commercial period, her contact would still be kept;
    # erased on 1 July, nothing is.
    last_day = export(CAMILLE, as_of=date(2026, 6, 30))
    assert [
        k["ends_on"] for k in only(last_day, "identity", "learner")["retention"]["kept_longer"]
    ] == ["2026-06-30"]
    result = export(CAMILLE, as_of=date(2026, 7, 1))
    assert only(result, "identity", "learner")["retention"]["kept_longer"] == []


def test_a_former_learner_finds_their_commercial_contact(export: Any) -> None:
    result = export(LOU)
    assert result["roles"] == ["former_learner"]
    assert [c["category"] for c in result["categories"]] == ["commercial_contact"]
    kept = only(result, "commercial_contact", "commercial_contact")
    assert kept["fields"] == {
        "email": LOU,
        "contract_reference": "CT-0",
        "last_contract_end": "2025-03-31",
    }
    assert kept["context"] == {"created_at": "2025-08-01T02:00:00+00:00"}
    retention = kept["retention"]
    assert (retention["rule"], retention["clock_value"]) == ("commercial_contact", "2025-03-31")
    assert (retention["ends_on"], retention["status"]) == ("2026-09-30", "running")  # + 18 months
    assert retention["kept_longer"] == []
    expired = only(export(LOU, as_of=date(2026, 10, 1)), "commercial_contact", "commercial_contact")
    assert expired["retention"]["status"] == "expired"


def test_emails_sent_to_the_person_or_about_their_account_are_correspondence(
    export: Any,
) -> None:
    result = export(CAMILLE)
    sent = records(result, "correspondence", "outbox_message")
    # Found by address and account, by account only (her former address), by address only;
    # never Sacha's, though it is the same kind of message.
    assert [(r["fields"]["dedupe_key"], r["fields"]["recipient"]) for r in sent] == [
        ("warning-1", CAMILLE),
        ("address-1", CAMILLE_BEFORE),
        ("newsletter-1", CAMILLE),
    ]
    assert result["record_counts"]["outbox_message"] == 3
    warning = sent[0]
    assert set(warning["fields"]) == {
        "dedupe_key",
        "recipient",
        "subject",
        "body",
        "html_body",
        "headers",
        "created_at",
        "sent_at",
    }
    assert warning["context"]["kind"] == "inactivity_warning"
    assert "learner" not in warning["fields"] and "learner" not in warning["context"]
    ends = [
        (r["retention"]["rule"], r["retention"]["ends_on"], r["retention"]["status"]) for r in sent
    ]
    assert ends == [  # 3 months after creation
        ("outbox", "2026-04-29", "expired"),
        ("outbox", "2026-08-20", "running"),
        ("outbox", "2026-08-25", "running"),
    ]
    section = next(c for c in result["categories"] if c["category"] == "correspondence")
    assert [p["purpose"] for p in section["purposes"]] == ["pedagogical_support"]
    assert SACHA not in json.dumps(result)
    mine = records(export(SACHA), "correspondence", "outbox_message")
    assert [r["fields"]["dedupe_key"] for r in mine] == ["warning-2"]


def test_each_record_has_the_end_date_of_its_own_clock(export: Any) -> None:
    result = export(CAMILLE)
    invoices = {
        r["context"]["number"]: r["retention"] for r in records(result, "billing", "invoice")
    }
    # 120 months from the close of the financial year of issue (31 December), the clock's
    # reading: issued 31 March 2015, the invoice was due to go after 31 December 2025.
    assert invoices["FA-2015-9"]["clock_value"] == "2015-12-31"
    assert invoices["FA-2015-9"]["ends_on"] == "2025-12-31"
    assert invoices["FA-2015-9"]["status"] == "expired"
    assert invoices["FA-2023-1"]["clock_value"] == "2023-12-31"
    assert invoices["FA-2023-1"]["ends_on"] == "2033-12-31"
    assert invoices["FA-2023-1"]["kept_on_erasure"] == [
        "billing_name",
        "billing_address",
        "billing_email",
    ]
    opco = only(result, "opco_evidence", "opco_dossier")["retention"]
    assert (opco["rule"], opco["ends_on"], opco["status"]) == (
        "opco_dossiers",
        "2030-06-28",
        "running",
    )
    sponsor = only(result, "commercial_contact", "sponsor")["retention"]
    assert (sponsor["rule"], sponsor["ends_on"]) == ("sponsors", "2026-06-30")
    message = only(result, "contact_request", "contact_message")["retention"]
    assert (message["rule"], message["ends_on"]) == ("contact_messages", "2026-07-15")


def test_a_subscription_is_kept_until_unsubscription(export: Any) -> None:
    subscribed = only(export(CAMILLE), "newsletter", "newsletter_subscription")["retention"]
    assert subscribed["ends_on"] is None and subscribed["status"] == "not_started"
    assert subscribed["until"] == {"fr": "jusqu'à la désinscription", "en": "until unsubscription"}
    gone = only(export(NOE), "newsletter", "newsletter_subscription")["retention"]
    assert (gone["ends_on"], gone["status"]) == ("2026-05-20", "expired")  # 0 months


def test_the_password_hash_is_never_exported(export: Any) -> None:
    result = export(CAMILLE)
    fields = only(result, "credentials", "account")["fields"]
    assert fields["password_set"] is True and fields["second_factor_set"] is False
    assert fields["email"] == CAMILLE and fields["role"] == "learner"
    text = json.dumps(result)
    assert PASSWORD_HASH not in text and "password_hash" not in text
    # Sacha was never invited: there is no account, so no credentials to show.
    categories = {category["category"] for category in export(SACHA)["categories"]}
    assert "credentials" not in categories


def test_addresses_match_whatever_their_case(export: Any) -> None:
    assert export("  CAMILLE.Exemple@EXAMPLE.org ") == export(CAMILLE)


def test_an_unknown_address_holds_nothing(export: Any, policy: Policy) -> None:
    result = export("personne@example.org")
    assert result["found"] is False
    assert (result["roles"], result["categories"], result["retention_rules"]) == ([], [], {})
    assert result["policy_version"] == policy.version


def test_a_relative_who_paid_is_not_named_to_the_learner(export: Any) -> None:
    contract = only(export(SACHA), "contract", "contract_learner")["context"]
    assert (contract["sponsor_kind"], contract["sponsor_name"]) == ("individual", None)
    own = {
        r["fields"]["contract"]: r["context"]
        for r in records(export(CAMILLE), "contract", "contract_learner")
    }
    assert own["CT-1"]["sponsor_name"] == "Camille Exemple"  # she paid herself
    assert own["CT-2"]["sponsor_name"] == "Menuiserie Fictive SAS"


def test_the_relative_sees_only_what_is_held_about_them(export: Any) -> None:
    result = export(CLAUDE)
    assert result["roles"] == ["individual_sponsor"]
    assert [c["category"] for c in result["categories"]] == ["commercial_contact"]
    assert SACHA not in json.dumps(result)


def test_a_sponsor_contact_runs_on_the_sponsor_last_contract(export: Any) -> None:
    result = export(DOMINIQUE)
    assert result["roles"] == ["sponsor_contact", "billing_contact"]
    contact = only(result, "commercial_contact", "sponsor_contact")
    assert contact["fields"]["sponsor"] == "ORG-1"
    assert contact["context"]["sponsor_name"] == "Menuiserie Fictive SAS"
    retention = contact["retention"]
    assert (retention["rule"], retention["clock_value"]) == ("sponsor_contacts", "2024-06-28")
    assert (retention["ends_on"], retention["status"]) == ("2025-12-28", "expired")
    assert only(result, "billing", "invoice")["context"]["number"] == "FA-2024-2"


def test_a_sponsor_without_contract_counts_from_its_creation(export: Any, engine: Engine) -> None:
    result = export(ATELIER)
    assert result["roles"] == ["organisation_sponsor"]
    retention = only(result, "commercial_contact", "sponsor")["retention"]
    with engine.connect() as connection:
        created = connection.execute(
            select(sponsor.c.created_at).where(sponsor.c.email == ATELIER)
        ).scalar_one()
    # The same clock as the sweep's (store/retention/clocks.py).
    assert retention["ends_on"] == retention_end(created, 18).isoformat()


def test_the_export_is_json_and_describes_every_rule_it_cites(export: Any, policy: Policy) -> None:
    result = export(CAMILLE)
    assert json.loads(json.dumps(result, ensure_ascii=False)) == result
    retentions = [r["retention"] for c in result["categories"] for r in c["records"]]
    cited = {retention["rule"] for retention in retentions}
    cited |= {kept["rule"] for retention in retentions for kept in retention["kept_longer"]}
    assert "commercial_contact" in cited
    assert cited == set(result["retention_rules"])
    rule = result["retention_rules"]["learner_data"]
    assert (rule["months"], rule["clock"]["name"], rule["action"]) == (
        18,
        "last_activity",
        "delete",
    )
    assert rule["label"] == policy.retention["learner_data"].label.model_dump()
    assert result["record_counts"]["invoice"] == 2


def test_subject_export_command_prints_the_json(
    database_url: str,
    engine: Engine,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("GARDIEN_POLICY", "GARDIEN_NOW", "GARDIEN_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    load_samples(engine)
    argv = ["--database-url", database_url, "subject", "export", "--as-of", "2026-06-01"]

    assert main([*argv, "--email", "Camille.Exemple@example.org"]) == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert err == "" and result["found"] is True and result["as_of"] == "2026-06-01"

    assert main([*argv, "--email", "personne@example.org"]) == 0
    assert json.loads(capsys.readouterr().out)["found"] is False

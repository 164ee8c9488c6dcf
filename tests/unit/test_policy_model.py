"""The policy model: its version and the lookups the rest of gardien relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from gardien.policy import Policy, load_policy
from gardien.store.catalogue import record_catalogue

SMALL = Path(__file__).parents[1] / "fixtures" / "policies" / "small.yaml"


@pytest.fixture
def policy() -> Policy:
    return load_policy(None, catalogue=record_catalogue())


def test_version_is_a_stable_short_hash_of_the_content(policy: Policy) -> None:
    again = load_policy(None, catalogue=record_catalogue())
    assert policy.version == again.version
    assert len(policy.version) == 12
    assert int(policy.version, 16) >= 0


def test_version_changes_with_the_content(policy: Policy) -> None:
    other = load_policy(SMALL, catalogue=record_catalogue())
    assert policy.version != other.version
    changed = policy.model_copy(
        update={
            "format": 1,
            "hosting": policy.hosting.model_copy(update={"region": "Europe — France (Roubaix)"}),
        }
    )
    assert changed.version != policy.version


def test_rules_for_category(policy: Policy) -> None:
    assert [rid for rid, _ in policy.rules_for_category("billing")] == ["invoices"]
    assert [rid for rid, _ in policy.rules_for_category("identity")] == ["learner_data"]
    assert policy.rules_for_category("nothing") == []


def test_purposes_for_category(policy: Policy) -> None:
    assert [pid for pid, _ in policy.purposes_for_category("newsletter")] == ["newsletter"]
    assert {pid for pid, _ in policy.purposes_for_category("learning_path")} == {
        "pedagogical_support",
        "sponsor_exchanges",
    }


def test_rules_for_record_include_the_records_swept_alongside(policy: Policy) -> None:
    # A learner's statements go with them; statements of no learner, on their own clock.
    assert [rid for rid, _ in policy.rules_for_record("activity_statement")] == [
        "learner_data",
        "unlinked_statements",
    ]
    assert [rid for rid, _ in policy.rules_for_record("learner")] == ["learner_data"]
    assert [rid for rid, _ in policy.rules_for_record("commercial_contact")] == [
        "commercial_contact"
    ]
    # Queued e-mails go with their learner, and on their own clock otherwise.
    assert [rid for rid, _ in policy.rules_for_record("outbox_message")] == [
        "learner_data",
        "outbox",
    ]
    assert policy.rules_for_record("learning_path") == []


def test_only_learners_are_warned_before_expiry_by_default(policy: Policy) -> None:
    warned = {rid: rule.warning for rid, rule in policy.retention.items() if rule.warning}
    assert list(warned) == ["learner_data"]
    assert warned["learner_data"].days_before == 30


def test_the_emails_sent_are_kept_3_months(policy: Policy) -> None:
    assert [rid for rid, _ in policy.rules_for_category("correspondence")] == ["outbox"]
    outbox = policy.retention["outbox"]
    assert (outbox.record, outbox.clock, outbox.months) == ("outbox_message", "created", 3)


def test_the_policy_is_immutable(policy: Policy) -> None:
    with pytest.raises(ValueError, match="frozen"):
        policy.hosting.provider = "Elsewhere"  # type: ignore[misc]


def test_localized_text_picks_the_language(policy: Policy) -> None:
    label = policy.categories["identity"].label
    assert label.in_("fr") == "Identité"
    assert label.in_("en") == "Identity"
    assert label.in_("de") == "Identité"


def test_the_holiday_region_is_optional_and_one_of_the_alsace_moselle_departments(
    policy: Policy,
) -> None:
    assert policy.controller.holiday_region is None
    data = policy.model_dump(mode="json")
    data["controller"]["holiday_region"] = "68"
    assert Policy.model_validate(data).controller.holiday_region == "68"
    data["controller"]["holiday_region"] = "75"
    with pytest.raises(ValueError, match="holiday_region"):
        Policy.model_validate(data)

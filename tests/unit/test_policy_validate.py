"""Cross-references: the checks that need the data model (the record catalogue)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gardien.domain.clocks import RETENTION_CLOCKS, clocks_of
from gardien.errors import PolicyError
from gardien.policy import DEFAULT_POLICY_PATH, RecordCatalogue, parse_policy
from gardien.policy.validate import EEA_COUNTRIES, first_of
from gardien.store.catalogue import record_catalogue

SMALL = Path(__file__).parents[1] / "fixtures" / "policies" / "small.yaml"


def test_fields_are_checked_against_the_catalogue_given() -> None:
    fields = dict(record_catalogue().fields)
    fields["invoice"] = fields["invoice"] - {"billing_email"}
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    with pytest.raises(PolicyError, match=r"'invoice\.billing_email' does not exist") as caught:
        parse_policy(text, source="default.yaml", catalogue=RecordCatalogue(fields=fields))
    line = caught.value.line
    assert line is not None
    assert "invoice.billing_email" in text.splitlines()[line - 1]


def test_hosting_outside_the_eu_is_accepted_when_declared() -> None:
    text = SMALL.read_text(encoding="utf-8").replace("country: FR", "country: US")
    text = text.replace("transfers_outside_eu: false", "transfers_outside_eu: true")
    policy = parse_policy(text, source="small.yaml", catalogue=record_catalogue())
    assert policy.hosting.transfers_outside_eu


def test_the_eea_list() -> None:
    assert len(EEA_COUNTRIES) == 30
    assert {"FR", "DE", "IE", "NO"} <= EEA_COUNTRIES
    assert not {"GB", "CH", "US"} & EEA_COUNTRIES


def test_every_retention_clock_belongs_to_a_record_of_the_model() -> None:
    catalogue = record_catalogue()
    for record, name in RETENTION_CLOCKS:
        assert catalogue.has_record(record), (record, name)
    assert clocks_of("learner") == ["last_activity"]
    assert clocks_of("commercial_contact") == ["last_contract_end"]
    assert clocks_of("outbox_message") == ["created"]
    assert clocks_of("learning_path") == []


def test_first_of_reports_the_earliest_line_and_counts_the_others() -> None:
    problems = [
        PolicyError("b: later", source="p.yaml", line=9),
        PolicyError("a: earlier", source="p.yaml", line=3),
        PolicyError("c: same line, found after", source="p.yaml", line=3),
    ]
    first = first_of(problems)
    assert str(first) == "p.yaml:3: a: earlier (and 2 more problems)"
    assert first_of(problems[:1]) is problems[0]


def with_lines(after: int, *added: str) -> str:
    """The small policy with ``added`` inserted after its line ``after`` (1-based)."""
    lines = SMALL.read_text(encoding="utf-8").split("\n")
    lines[after:after] = added
    return "\n".join(lines)


# In tests/fixtures/policies/small.yaml, the learners rule ends on line 52, and line 59 is the
# invoices rule's categories.
LEARNERS_END, INVOICES_CATEGORIES = 52, 59


def test_a_learner_rule_may_warn_before_expiry() -> None:
    text = with_lines(LEARNERS_END, "    warning:", "      days_before: 14")
    policy = parse_policy(text, source="small.yaml", catalogue=record_catalogue())
    warning = policy.retention["learners"].warning
    assert warning is not None and warning.days_before == 14
    assert policy.retention["invoices"].warning is None


def test_the_warning_defaults_to_30_days() -> None:
    text = with_lines(LEARNERS_END, "    warning: {}")
    policy = parse_policy(text, source="small.yaml", catalogue=record_catalogue())
    warning = policy.retention["learners"].warning
    assert warning is not None and warning.days_before == 30


def test_only_a_learner_rule_may_warn() -> None:
    text = with_lines(INVOICES_CATEGORIES, "    warning:", "      days_before: 30")
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, source="small.yaml", catalogue=record_catalogue())
    assert caught.value.line == INVOICES_CATEGORIES + 1
    assert text.splitlines()[INVOICES_CATEGORIES] == "    warning:"
    assert caught.value.problem == (
        "retention.invoices.warning: only learners can be warned before expiry,"
        " not 'invoice' records"
    )


@pytest.mark.parametrize(
    ("days", "got"),
    [
        ("0", "(got 0)"),
        ("-1", "(got -1)"),
        ("366", "(got 366)"),
        ("400", "(got 400)"),
        ("'30'", "(got '30')"),
        ("30.0", "(got 30.0)"),
        ("true", "(got True)"),
    ],
)
def test_a_warning_comes_1_to_365_days_before_expiry(days: str, got: str) -> None:
    text = with_lines(LEARNERS_END, "    warning:", f"      days_before: {days}")
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, source="small.yaml", catalogue=record_catalogue())
    assert caught.value.line == LEARNERS_END + 2
    assert caught.value.problem.startswith("retention.learners.warning.days_before: ")
    assert caught.value.problem.endswith(got)


def test_a_warning_must_not_outlive_the_outbox_that_remembers_it() -> None:
    from gardien.errors import PolicyError
    from gardien.policy import DEFAULT_POLICY_PATH, parse_policy
    from gardien.store.catalogue import record_catalogue

    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    assert "      days_before: 30\n" in text
    line = text[: text.index("      days_before: 30\n")].count("\n") + 1
    too_far = text.replace("      days_before: 30\n", "      days_before: 90\n")
    try:
        parse_policy(too_far, source="policy.yaml", catalogue=record_catalogue())
    except PolicyError as exc:
        assert exc.line == line
        assert "purged by the outbox rule (3 months)" in str(exc)
    else:
        raise AssertionError("a 90-day warning with a 3-month outbox was accepted")
    parse_policy(
        text.replace("      days_before: 30\n", "      days_before: 84\n"),
        source="policy.yaml",
        catalogue=record_catalogue(),
    )


def test_one_recipient_at_most_is_the_sponsor_of_a_funding_type() -> None:
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    # A second employer-plan recipient, also marked as the sponsor.
    doubled = text.replace(
        "  school_plan:\n",
        "      employer_bis:\n"
        '        label: {fr: "Employeur bis", en: "Second employer"}\n'
        "        basis: legitimate_interests\n"
        "        fields: [learner.given_name]\n"
        "        sponsor: true\n"
        "  school_plan:\n",
        1,
    )
    assert doubled != text
    with pytest.raises(PolicyError, match="only one recipient per funding type can be the sponsor"):
        parse_policy(doubled, source="default.yaml", catalogue=record_catalogue())

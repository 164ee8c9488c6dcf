"""A broken policy file gives one line naming the file, the line and the reason; exit code 2.

Each case edits one line (or a few) of ``tests/fixtures/policies/small.yaml``, a valid policy,
and states the exact line the error must point at.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gardien.cli.main import main
from gardien.errors import PolicyError
from gardien.policy import DEFAULT_POLICY_PATH, Policy, load_policy, parse_policy
from gardien.policy.source import MAX_CHARACTERS, MAX_DEPTH, read_yaml
from gardien.store.catalogue import record_catalogue

SMALL = Path(__file__).parents[1] / "fixtures" / "policies" / "small.yaml"
CATALOGUE = record_catalogue()


@pytest.fixture(autouse=True)
def _no_policy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GARDIEN_POLICY", raising=False)
    monkeypatch.delenv("GARDIEN_NOW", raising=False)


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` by ``new`` on line ``line`` (1-based) of the small policy."""

    line: int
    old: str
    new: str


def year_end(value: str) -> Edit:
    """Give the controller (its last line is line 11) a ``financial_year_end`` on line 12."""
    email = "email: dpo@example.org"
    return Edit(11, email, f"{email}\n  financial_year_end: {value}")


def edited(*edits: Edit) -> str:
    lines = SMALL.read_text(encoding="utf-8").split("\n")
    for edit in edits:
        assert edit.old in lines[edit.line - 1], f"line {edit.line} lacks {edit.old!r}"
        lines[edit.line - 1] = lines[edit.line - 1].replace(edit.old, edit.new, 1)
    return "\n".join(lines)


CASES = [
    pytest.param(
        [Edit(76, "legal_obligation", "legal_obligation\n        purpose: trainnig")],
        77,
        "disclosure.cpf.recipients.funding_body.purpose: unknown purpose 'trainnig'",
        id="unknown-purpose-of-recipient",
    ),
    pytest.param(
        [Edit(36, "[identity, activity]", "[identity, activty]")],
        36,
        "purposes.training.categories.1: unknown category 'activty'",
        id="unknown-category-in-purpose",
    ),
    pytest.param(
        [Edit(59, "[billing]", "[bill]")],
        59,
        "retention.invoices.categories.0: unknown category 'bill'",
        id="unknown-category-in-rule",
    ),
    pytest.param(
        [Edit(88, "[activity]", "[learning_path]")],
        88,
        "disclosure.employer_plan.recipients.employer.categories.0: unknown category"
        " 'learning_path'",
        id="unknown-category-in-recipient",
    ),
    pytest.param(
        [Edit(49, "24", "-24")],
        49,
        "retention.learners.months: a duration must be a whole number of months between 0"
        " and 1200 (got -24)",
        id="negative-duration",
    ),
    pytest.param(
        [Edit(57, "120", "1.5")],
        57,
        "retention.invoices.months: a duration must be a whole number of months",
        id="fractional-duration",
    ),
    pytest.param(
        [Edit(57, "120", '"120 months"')],
        57,
        "(got '120 months')",
        id="text-duration",
    ),
    pytest.param(
        [Edit(63, "invoice.billing_name", "invoice.billing_nam")],
        63,
        "retention.invoices.hold.fields.1: field 'invoice.billing_nam' does not exist in the"
        " data model",
        id="hold-field-not-in-model",
    ),
    pytest.param(
        [Edit(77, "cpf_dossier.edof_number", "cpf_dossier.edof")],
        77,
        "disclosure.cpf.recipients.funding_body.fields.2: field 'cpf_dossier.edof' does not exist",
        id="recipient-field-not-in-model",
    ),
    pytest.param(
        [Edit(77, "learner.given_name", "trainee.given_name")],
        77,
        "unknown record 'trainee' in 'trainee.given_name'",
        id="recipient-field-of-unknown-record",
    ),
    pytest.param(
        [Edit(87, "learner.email", "learner.Email")],
        87,
        "'learner.Email' is not a field written record.field",
        id="recipient-field-badly-written",
    ),
    pytest.param(
        [Edit(47, "learner", "learners")],
        47,
        "retention.learners.record: unknown record 'learners'",
        id="unknown-record",
    ),
    pytest.param(
        [Edit(52, "[activity_statement]", "[activity_statement, statement]")],
        52,
        "retention.learners.with_records.1: unknown record 'statement'",
        id="unknown-record-in-with-records",
    ),
    pytest.param(
        [Edit(56, "financial_year_close", "paid_on")],
        56,
        "retention.invoices.clock: unknown clock 'paid_on':"
        " record 'invoice' offers financial_year_close",
        id="unknown-clock",
    ),
    pytest.param(
        [
            Edit(
                28,
                '    description: {fr: "Identité de facturation.", en: "Billing identity."}',
                '    description: {fr: "Identité de facturation.", en: "Billing identity."}\n'
                "  marketing:\n"
                '    label: {fr: "Prospection", en: "Marketing"}\n'
                '    description: {fr: "Préférences.", en: "Preferences."}',
            ),
            Edit(42, "[billing]", "[billing, marketing]"),
        ],
        29,
        "categories.marketing: category 'marketing' has no retention rule",
        id="category-without-retention-rule",
    ),
    pytest.param(
        [
            Edit(
                28,
                '    description: {fr: "Identité de facturation.", en: "Billing identity."}',
                '    description: {fr: "Identité de facturation.", en: "Billing identity."}\n'
                "  marketing:\n"
                '    label: {fr: "Prospection", en: "Marketing"}\n'
                '    description: {fr: "Préférences.", en: "Preferences."}',
            ),
            Edit(59, "[billing]", "[billing, marketing]"),
        ],
        29,
        "categories.marketing: category 'marketing' serves no purpose",
        id="category-without-purpose",
    ),
    pytest.param(
        [
            Edit(89, "  school_plan:", ""),
            Edit(90, "    summary:", "#"),
            Edit(91, "    recipients: {}", ""),
        ],
        67,
        "disclosure: no disclosure rule for funding type(s) school_plan",
        id="missing-funding-type",
    ),
    pytest.param(
        [Edit(89, "school_plan", "school_plans")],
        89,
        "disclosure.school_plans: 'school_plans' is not one of 'online_payment'",
        id="unknown-funding-type",
    ),
    pytest.param(
        [Edit(39, "legal_obligation", "legal_duty")],
        39,
        "purposes.billing.legal_basis: 'legal_duty' is not one of 'consent', 'contract'",
        id="unknown-legal-basis",
    ),
    pytest.param(
        [Edit(64, "legal_obligation", "law")],
        64,
        "retention.invoices.hold.basis: 'law' is not one of",
        id="unknown-legal-basis-in-hold",
    ),
    pytest.param(
        [Edit(58, "delete", "shred")],
        58,
        "retention.invoices.action: 'shred' is not one of 'delete' or 'anonymise'",
        id="unknown-action",
    ),
    pytest.param(
        [year_end('"06-31"')],
        12,
        "controller.financial_year_end: 06-31 is not a day of the year",
        id="year-end-not-a-day",
    ),
    pytest.param(
        [year_end('"02-29"')],
        12,
        "controller.financial_year_end: 29 February is not a day of every year: a financial"
        ' year ending with February ends on "02-28"',
        id="year-end-29-february",
    ),
    pytest.param(
        [year_end("1231")],
        12,
        'controller.financial_year_end: the last day of the financial year is written "MM-DD"'
        " (got 1231)",
        id="year-end-not-text",
    ),
    pytest.param(
        [year_end("31/12")],
        12,
        "controller.financial_year_end: '31/12' is not a day written MM-DD (e.g. \"12-31\")",
        id="year-end-other-format",
    ),
    pytest.param(
        [Edit(33, "legal_basis", "legal_bases")],
        33,
        "purposes.training.legal_bases: unknown key 'legal_bases' (did you mean 'legal_basis'?)",
        id="misspelt-key",
    ),
    pytest.param(
        [Edit(17, "transfers_outside_eu: false", "transfers_outside_eu: false\n  tier: gold")],
        18,
        "hosting.tier: unknown key 'tier' (allowed: provider, country, region,",
        id="extra-key",
    ),
    pytest.param(
        [Edit(10, "    name: Camille Exemple", "")],
        9,
        "controller.dpo.name: missing required key",
        id="missing-key",
    ),
    pytest.param(
        [Edit(15, "FR", "US")],
        15,
        "hosting.country: 'US' is outside the EU/EEA, yet transfers_outside_eu is false",
        id="hosting-outside-eu",
    ),
    pytest.param(
        [Edit(15, "FR", "France")],
        15,
        "hosting.country: 'France' is not a two-letter country code",
        id="hosting-country-name",
    ),
    pytest.param(
        [Edit(8, "contact@example.org", "contact-at-example.org")],
        8,
        "controller.email: value is not a valid email address",
        id="bad-email",
    ),
    pytest.param(
        [Edit(88, "        categories: [activity]", ""), Edit(87, "[learner.email]", "[]")],
        84,
        "a recipient must be given fields or categories",
        id="recipient-given-nothing",
    ),
    pytest.param(
        [Edit(3, "1", "2")],
        3,
        "format: unsupported policy format 2: this gardien reads format 1",
        id="unsupported-format",
    ),
    pytest.param(
        [Edit(36, "[identity, activity]", "[]")],
        36,
        "purposes.training.categories: must not be empty",
        id="empty-category-list",
    ),
    pytest.param(
        [Edit(36, "[identity, activity]", "[identity, identity, activity]")],
        36,
        "purposes.training.categories.1: category 'identity' is listed twice",
        id="category-listed-twice",
    ),
    pytest.param(
        [Edit(15, "  country: FR", "   country: FR")],
        15,
        "malformed YAML: a ':' where none may be (check the indentation",
        id="bad-indentation-deeper",
    ),
    pytest.param(
        [Edit(47, "    record: learner", "   record: learner")],
        47,
        "malformed YAML: inconsistent indentation",
        id="bad-indentation-shallower",
    ),
    pytest.param(
        [Edit(14, "  provider: OVH", "\tprovider: OVH")],
        14,
        "malformed YAML: a tab character: YAML is indented with spaces only",
        id="tab-indentation",
    ),
    pytest.param(
        [Edit(7, 'France"', "France")],
        7,
        "malformed YAML: the quoted value opened on this line runs on to line 16: a closing"
        " quote is missing",
        id="unclosed-quote",
    ),
    pytest.param(
        [Edit(91, "recipients: {}", 'recipients: {} "')],
        91,
        "malformed YAML: a quoted value opened on this line is never closed",
        id="unclosed-quote-at-the-end",
    ),
    pytest.param(
        [Edit(36, "[identity, activity]", "[identity, activity")],
        36,
        "malformed YAML: the '[' opened on this line is not closed (expected ',' or ']', but"
        " got ':')",
        id="unclosed-bracket",
    ),
    pytest.param(
        [Edit(16, "region:", "provider: Scaleway\n  region:")],
        16,
        "hosting.provider: duplicate key 'provider'",
        id="duplicate-key",
    ),
    pytest.param(
        [Edit(3, "format: 1", "format: 1\nupdated: 2024-13-45")],
        4,
        "updated: '2024-13-45' is not a valid value (month must be in 1..12)",
        id="impossible-date",
    ),
    pytest.param(
        [Edit(21, '"Identity"}', '"Identity"')],
        21,
        "malformed YAML: the '{' opened on this line is not closed",
        id="unclosed-brace",
    ),
    pytest.param(
        [Edit(3, "format: 1", "format: 1\n---\nformat: 1")],
        4,
        "malformed YAML: a policy file holds one YAML document only",
        id="two-documents",
    ),
    pytest.param(
        [Edit(3, "format: 1", "format: !!python/object:os.system 1")],
        3,
        "format: unsupported YAML",
        id="python-tag",
    ),
    pytest.param(
        [
            Edit(36, "[identity, activity]", "[identity, activty]"),
            Edit(56, "financial_year_close", "x"),
        ],
        36,
        "unknown category 'activty' (declared: activity, billing, identity) (and 2 more problems)",
        id="first-of-several-problems",
    ),
]


@pytest.mark.parametrize(("edits", "line", "fragment"), CASES)
def test_broken_policy_is_one_line_naming_file_line_and_reason(
    edits: list[Edit],
    line: int,
    fragment: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(edited(*edits), encoding="utf-8")

    with pytest.raises(PolicyError) as caught:
        load_policy(path, catalogue=CATALOGUE)
    assert caught.value.line == line
    assert caught.value.source == str(path)
    assert fragment in caught.value.problem

    assert main(["--policy", str(path), "policy", "show"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith(f"gardien: {path}:{line}: "), err
    assert fragment in err


def test_the_small_policy_itself_is_valid() -> None:
    policy = load_policy(SMALL, catalogue=CATALOGUE)
    assert isinstance(policy, Policy)
    assert policy.retention["learners"].months == 24


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        pytest.param(b"", 1, "the policy file is empty", id="empty"),
        pytest.param(b"\n\n   \n", 1, "the policy file is empty", id="blank"),
        pytest.param(b"# only a comment\n", 1, "the policy file is empty", id="comments-only"),
        pytest.param(b"- a\n- b\n", 1, "the policy must be a mapping of sections", id="a-list"),
        pytest.param(b"just words\n", 1, "the policy must be a mapping of sections", id="scalar"),
        pytest.param(
            b"format: 1\ncontroller:\n  name: Soci\xe9t\xe9\n",
            3,
            "not UTF-8 text (byte 0xe9 at offset 34)",
            id="latin-1",
        ),
        pytest.param(
            b"format: 1\n\x00\n", 2, "the character U+0000 is not allowed", id="nul-character"
        ),
    ],
)
def test_unreadable_policy_files(
    content: bytes,
    line: int,
    fragment: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_bytes(content)

    with pytest.raises(PolicyError) as caught:
        load_policy(path, catalogue=CATALOGUE)
    assert caught.value.line == line
    assert fragment in caught.value.problem

    assert main(["--policy", str(path), "policy", "show"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"gardien: {path}:{line}: "), err


def test_missing_policy_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(PolicyError) as caught:
        load_policy(path, catalogue=CATALOGUE)
    assert caught.value.line is None

    assert main(["--policy", str(path), "policy", "show"]) == 2
    err = capsys.readouterr().err
    assert err == f"gardien: {path}: no such policy file\n"


def test_directory_given_as_policy(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="is a directory"):
        load_policy(tmp_path, catalogue=CATALOGUE)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + SMALL.read_bytes())
    assert load_policy(path, catalogue=CATALOGUE).format == 1


def test_aliases_are_expanded_but_bounded() -> None:
    text = edited(Edit(88, "[activity]", "*cats"), Edit(51, "categories:", "categories: &cats"))
    assert parse_policy(text, source="aliases.yaml", catalogue=CATALOGUE).retention

    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        for prev, name in zip("abcdef", "bcdefg", strict=True)
    )
    with pytest.raises(PolicyError, match="more than 50000 values") as caught:
        parse_policy(bomb, source="bomb.yaml", catalogue=CATALOGUE)
    assert caught.value.line is not None


def test_merge_keys_are_refused() -> None:
    text = "base: &base {fr: a, en: b}\nlabel:\n  <<: *base\n"
    with pytest.raises(PolicyError, match="merge keys") as caught:
        parse_policy(text, source="merge.yaml", catalogue=CATALOGUE)
    assert caught.value.line == 3


def test_default_policy_path_is_shipped_in_the_package() -> None:
    assert DEFAULT_POLICY_PATH.name == "default.yaml"
    assert load_policy(None, catalogue=CATALOGUE) == load_policy(
        DEFAULT_POLICY_PATH, catalogue=CATALOGUE
    )


DEEP = [
    ("flow", "format: " + "[" * 5000 + "]" * 5000 + "\n", 1),
    # A thousand levels of indentation: deep enough for PyYAML's composer to exhaust the stack.
    ("block", "format:\n" + "".join(f"{'  ' * n}- \n" for n in range(1, 1000)), 21),
    (
        "aliases",
        "a0: &a0 [x]\n" + "".join(f"a{n}: &a{n} [*a{n - 1}]\n" for n in range(1, 40)),
        1,  # where the value that ends up too deep is written
    ),
]


@pytest.mark.parametrize(
    ("text", "line"), [(t, n) for _, t, n in DEEP], ids=[i for i, _, _ in DEEP]
)
def test_excessive_nesting_is_one_policy_error_not_a_recursion_error(
    text: str, line: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["--policy", str(path), "policy", "show"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"gardien: {path}:{line}: values nested more than {MAX_DEPTH} levels deep:"
        " a policy is a few levels deep\n"
    )
    assert captured.out == ""


def test_nesting_up_to_the_bound_is_read() -> None:
    # The document's mapping is one level; MAX_DEPTH - 2 lists and the value make MAX_DEPTH.
    deepest = "x: " + "[" * (MAX_DEPTH - 2) + "1" + "]" * (MAX_DEPTH - 2) + "\n"
    value: Any = read_yaml(deepest, source="ok.yaml").data["x"]
    for _ in range(MAX_DEPTH - 2):
        value = value[0]
    assert value == 1
    with pytest.raises(PolicyError, match="nested more than"):
        read_yaml("x: [" + deepest[3:-1] + "]\n", source="deep.yaml")


def test_a_huge_file_is_refused_before_it_is_parsed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(SMALL.read_bytes() + b"#" * MAX_CHARACTERS)
    assert main(["--policy", str(path), "policy", "show"]) == 2
    assert capsys.readouterr().err == (
        f"gardien: {path}: the file is larger than {MAX_CHARACTERS:,} bytes: not a policy file\n"
    )
    with pytest.raises(PolicyError, match="larger than"):
        read_yaml("#" * (MAX_CHARACTERS + 1), source="huge.yaml")

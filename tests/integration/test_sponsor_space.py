"""The sponsor space: a contact sees only their sponsor's contracts and, of each contract's
learners, only what the policy allows the recipient marked ``sponsor: true``; every view of
learners' data is a logged transmission.

What may be shown is never listed here by hand: it is read from the policy.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from gardien.domain.clock import FixedClock
from gardien.domain.disclosure import allowed_disclosure
from gardien.domain.vocabulary import FundingType
from gardien.errors import NotFoundError, PermissionDeniedError
from gardien.policy import Policy
from gardien.services.sponsor_space import (
    ContractView,
    sponsor_overview,
    sponsor_recipient,
    view_contract,
)
from gardien.services.subject_export import export_subject
from gardien.store.audit import verify_audit
from gardien.store.disclosure import LEARNING_PATH
from gardien.store.tables import (
    audit_entry,
    disclosure,
    disclosure_subject,
    learner,
)
from gardien.store.uow import UnitOfWork
from tests.support.lookup import LOOKUP
from tests.support.retention_samples import default_policy
from tests.support.sponsor_samples import (
    FUNDING,
    NAMES,
    OWN,
    load_sponsor_space,
)
from tests.support.transmission_samples import LEARNERS, email

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def sponsor_of(reference: str) -> str:
    return next(ref for ref, owned in OWN.items() if reference in owned)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return default_policy()


def view(engine: Engine, policy: Policy, account_id: int, reference: str) -> ContractView:
    return view_contract(
        UnitOfWork(engine, write=True),
        policy=policy,
        clock=FixedClock(NOW),
        account_id=account_id,
        reference=reference,
    )


def logged(engine: Engine) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The disclosure rows and the audit entries, oldest first."""
    with engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(select(disclosure))]
        audits = [dict(r._mapping) for r in connection.execute(select(audit_entry))]
    return rows, audits


def pseudonyms(engine: Engine, names: list[str]) -> set[str]:
    with engine.connect() as connection:
        return set(
            connection.execute(
                select(learner.c.pseudonym).where(learner.c.email.in_([email(n) for n in names]))
            ).scalars()
        )


def with_sponsor_fields(policy: Policy, funding: FundingType, **update: object) -> Policy:
    """``policy`` with the sponsor recipient of ``funding`` changed by ``update``."""
    rule = policy.disclosure[funding]
    name = sponsor_recipient(policy, funding)
    assert name is not None
    changed = rule.recipients[name].model_copy(update=update)
    return policy.model_copy(
        update={
            "disclosure": {
                **policy.disclosure,
                funding: rule.model_copy(update={"recipients": {**rule.recipients, name: changed}}),
            }
        }
    )


def test_the_sponsor_recipient_is_the_one_the_policy_marks(policy: Policy) -> None:
    for funding, rule in policy.disclosure.items():
        marked = [name for name, r in rule.recipients.items() if r.sponsor]
        assert sponsor_recipient(policy, funding) == (marked[0] if marked else None)
    assert sponsor_recipient(policy, FundingType.EMPLOYER_PLAN) == "employer"
    assert sponsor_recipient(policy, FundingType.SCHOOL_PLAN) == "school"
    for funding in (FundingType.CPF, FundingType.OPCO, FundingType.ONLINE_PAYMENT):
        assert sponsor_recipient(policy, funding) is None


def test_a_contact_sees_only_their_sponsors_contracts(engine: Engine, policy: Policy) -> None:
    space = load_sponsor_space(engine)
    for ref, account_id in space.contacts.items():
        overview = sponsor_overview(UnitOfWork(engine), policy=policy, account_id=account_id)
        assert {line.reference for line in overview.contracts} == OWN[ref]
        for line in overview.contracts:
            assert line.funding_type == FundingType(FUNDING[line.reference])
            assert line.learners == len(NAMES[line.reference])
            assert line.shows_data == (sponsor_recipient(policy, line.funding_type) is not None)
    emp = sponsor_overview(UnitOfWork(engine), policy=policy, account_id=space.contacts["SP-EMP"])
    assert emp.sponsor_name == "Menuiserie Fictive SAS"
    # Listing contracts discloses nothing about a person: nothing is logged.
    assert logged(engine) == ([], [])
    with pytest.raises(PermissionDeniedError):
        sponsor_overview(UnitOfWork(engine), policy=policy, account_id=space.learner)


@pytest.mark.parametrize("reference", ["C-EMP", "C-SCH"])
def test_a_contract_shows_exactly_the_allowed_fields_and_is_logged(
    engine: Engine, policy: Policy, reference: str
) -> None:
    space = load_sponsor_space(engine)
    account_id = space.contacts[sponsor_of(reference)]
    funding = FundingType(FUNDING[reference])
    recipient = sponsor_recipient(policy, funding)
    assert recipient is not None
    allowance = allowed_disclosure(policy, funding, recipient)
    shown = view(engine, policy, account_id, reference)
    names = NAMES[reference]
    assert shown.fields == allowance.fields
    assert shown.learning_path == (LEARNING_PATH in allowance.categories)
    assert len(shown.records) == len(names)
    extra = {LEARNING_PATH} if LEARNING_PATH in allowance.categories else set()
    for record in shown.records:
        assert set(record) == set(allowance.fields) | extra
    given = {LEARNERS[n][1] for n in names}
    if "learner.given_name" in allowance.fields:
        assert {r["learner.given_name"] for r in shown.records} == given
    # One log row for the view, naming the sponsor's contact and the learners shown.
    rows, audits = logged(engine)
    [row] = rows
    assert row["id"] in shown.disclosure_ids
    assert row["actor"] == f"sponsor_contact:{account_id}"
    assert (row["contract_reference"], row["recipient"]) == (reference, recipient)
    assert row["legal_basis"] == allowance.basis
    assert set(allowance.fields) <= set(json.loads(str(row["fields"])))
    with engine.connect() as connection:
        subjects = set(
            connection.execute(
                select(disclosure_subject.c.pseudonym).where(
                    disclosure_subject.c.disclosure_id == row["id"]
                )
            ).scalars()
        )
        assert verify_audit(connection).ok
    assert subjects == pseudonyms(engine, names)
    [audit] = [a for a in audits if a["action"] == "transmission.sent"]
    assert audit["actor"] == f"sponsor_contact:{account_id}"
    # Each view is a transmission of its own.
    view(engine, policy, account_id, reference)
    assert len(logged(engine)[0]) == 2


def test_a_field_the_policy_does_not_allow_is_not_shown(engine: Engine, policy: Policy) -> None:
    space = load_sponsor_space(engine)
    funding = FundingType.EMPLOYER_PLAN
    recipient = sponsor_recipient(policy, funding)
    assert recipient is not None
    fields = policy.disclosure[funding].recipients[recipient].fields
    narrower = with_sponsor_fields(
        policy, funding, fields=[f for f in fields if f != "learner.email"]
    )
    shown = view(engine, narrower, space.contacts["SP-EMP"], "C-EMP")
    assert "learner.email" not in shown.fields
    text = json.dumps(shown.records, ensure_ascii=False)
    for name in NAMES["C-EMP"]:
        assert email(name) not in text
        assert LEARNERS[name][2] in text, "the allowed family name is still shown"
    for record in shown.records:
        assert "learner.email" not in record
    [row], _ = logged(engine)
    assert "learner.email" not in json.loads(str(row["fields"]))


def test_without_the_sponsor_mark_nothing_is_shown(engine: Engine, policy: Policy) -> None:
    space = load_sponsor_space(engine)
    unmarked = with_sponsor_fields(policy, FundingType.EMPLOYER_PLAN, sponsor=False)
    shown = view(engine, unmarked, space.contacts["SP-EMP"], "C-EMP")
    assert (shown.recipient, shown.fields, shown.records) == (None, (), [])
    assert logged(engine) == ([], [])


@pytest.mark.parametrize("reference", ["C-OPCO", "C-EMP-CPF", "C-EMP-WEB"])
def test_a_funding_type_without_a_sponsor_recipient_shows_its_summary_only(
    engine: Engine, policy: Policy, reference: str
) -> None:
    space = load_sponsor_space(engine)
    funding = FundingType(FUNDING[reference])
    shown = view(engine, policy, space.contacts["SP-EMP"], reference)
    assert shown.summary == policy.disclosure[funding].summary
    assert shown.recipient is None and shown.recipient_label is None
    assert (shown.fields, shown.records, shown.disclosure_ids) == ((), [], [])
    assert shown.learners == len(NAMES[reference])
    assert logged(engine) == ([], [])


def test_another_sponsors_contract_is_not_found_and_nothing_is_logged(
    engine: Engine, policy: Policy
) -> None:
    space = load_sponsor_space(engine)
    school = space.contacts["SP-SCH"]
    with pytest.raises(NotFoundError) as foreign:
        view(engine, policy, school, "C-EMP")
    with pytest.raises(NotFoundError) as unknown:
        view(engine, policy, school, "C-NONE")
    # The same answer for both, but for the reference asked.
    assert str(foreign.value).replace("C-EMP", "?") == str(unknown.value).replace("C-NONE", "?")
    # A contract with no sponsor at all, and a learner's account, are not found either.
    for account_id, reference in ((school, "C-CPF"), (space.learner, "C-EMP")):
        with pytest.raises(NotFoundError):
            view(engine, policy, account_id, reference)
    assert logged(engine) == ([], [])


def test_the_learners_export_lists_the_view(engine: Engine, policy: Policy) -> None:
    space = load_sponsor_space(engine)
    view(engine, policy, space.contacts["SP-EMP"], "C-EMP")
    for name in NAMES["C-EMP"]:
        export = export_subject(
            email(name), uow=UnitOfWork(engine), policy=policy, clock=FixedClock(NOW), lookup=LOOKUP
        )
        [item] = export["transmissions"]
        assert (item["contract"], item["recipient"]) == ("C-EMP", "employer")
        assert item["transmitted_at"] == NOW.isoformat()
    other = export_subject(
        email("eve"), uow=UnitOfWork(engine), policy=policy, clock=FixedClock(NOW), lookup=LOOKUP
    )
    assert other["transmissions"] == []

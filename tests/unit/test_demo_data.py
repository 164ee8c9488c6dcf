"""The demo generator: deterministic, complete, consistent, fictional, and scalable."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from gardien.domain.retention import retention_end
from gardien.domain.vocabulary import EnrolmentStatus, FundingType
from gardien.domain.xapi.validate import parse_timestamp, validate_batch
from gardien.services.demo.lrs import BATCH_SIZE, statement_batches
from gardien.services.demo_data import MIN_COMPLETE, build_demo_document
from gardien.services.importing.document import ImportDocument

TODAY = date(2026, 6, 1)
NEAR = timedelta(days=31)


@cache
def demo(learners: int = 30, seed: int = 2, today: date = TODAY) -> ImportDocument:
    return build_demo_document(learners=learners, seed=seed, today=today)


# -- determinism ---------------------------------------------------------------------------------


def test_same_arguments_give_the_same_document() -> None:
    first = build_demo_document(learners=40, seed=7, today=TODAY)
    second = build_demo_document(learners=40, seed=7, today=TODAY)
    assert first.model_dump_json() == second.model_dump_json()


def test_another_seed_gives_other_people() -> None:
    one = {learner.email for learner in demo(seed=1).learners}
    two = {learner.email for learner in demo(seed=2).learners}
    assert one != two


def test_dates_follow_the_day_of_generation() -> None:
    later = demo(today=TODAY + timedelta(days=365))
    assert max(s.timestamp for s in later.statements) > max(s.timestamp for s in demo().statements)


# -- a valid, consistent import document ------------------------------------------------------


@pytest.mark.parametrize("learners", [1, 5, MIN_COMPLETE, 30, 250])
def test_the_document_validates_as_an_import_file(learners: int) -> None:
    document = demo(learners)
    again = ImportDocument.model_validate_json(document.model_dump_json())
    assert again == document


def test_every_reference_resolves() -> None:
    document = demo(250)
    learners = {learner.email for learner in document.learners}
    sponsors = {sponsor.ref for sponsor in document.sponsors}
    contracts = {contract.reference: contract for contract in document.contracts}
    modules = {p.code: {m.code for m in p.modules} for p in document.learning_paths}
    for contract in document.contracts:
        assert contract.sponsor is None or contract.sponsor in sponsors
        assert contract.path in modules
        assert set(contract.learners) <= learners
        assert contract.starts_on <= contract.ends_on and contract.signed_on <= contract.starts_on
    for enrolment in document.enrolments:
        assert enrolment.learner in learners and enrolment.contract in contracts
        assert enrolment.learner in contracts[enrolment.contract].learners
        assert {m.module for m in enrolment.modules} <= modules[enrolment.path]
    for dossier in [*document.cpf_dossiers, *document.opco_dossiers]:
        assert dossier.learner in contracts[dossier.contract].learners
    assert all(invoice.contract in contracts for invoice in document.invoices)
    assert all(statement.learner in learners for statement in document.statements)


def test_natural_keys_are_unique() -> None:
    document = demo(250)
    for keys in (
        [learner.email for learner in document.learners],
        [sponsor.ref for sponsor in document.sponsors],
        [contract.reference for contract in document.contracts],
        [invoice.number for invoice in document.invoices],
        [statement.id for statement in document.statements],
        [(e.learner, e.path) for e in document.enrolments],
        [d.edof_number for d in document.cpf_dossiers],
        [d.agreement_reference for d in document.opco_dossiers],
        [s.email for s in document.newsletter_subscriptions],
        [(m.email, m.received_at) for m in document.contact_messages],
    ):
        assert len(keys) == len(set(keys))


def test_last_activity_is_the_last_statement_and_nothing_is_in_the_future() -> None:
    document = demo(250)
    last: dict[str, datetime] = {}
    for statement in document.statements:
        last[statement.learner] = max(
            statement.timestamp, last.get(statement.learner, statement.timestamp)
        )
    for learner in document.learners:
        assert learner.last_activity_at == last[learner.email]
        assert learner.created_at < learner.last_activity_at
    noon = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC)
    for enrolment in document.enrolments:
        assert all(enrolment.enrolled_at <= m.updated_at <= noon for m in enrolment.modules)


def test_every_instant_is_utc() -> None:
    dumped = demo(60).model_dump(mode="python")
    instants = list(_values(dumped, datetime))
    assert instants and all(value.utcoffset() == timedelta(0) for value in instants)


def test_statements_look_like_xapi() -> None:
    for statement in demo(60).statements:
        assert statement.verb.startswith("http://adlnet.gov/expapi/verbs/")
        assert statement.object.startswith("https://learning.example.org/paths/")
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", statement.id
        )


# -- sent to the LRS as a platform sends it, and confirming what is imported -------------------


def test_statements_are_sent_as_a_platform_sends_them() -> None:
    document = demo(250)
    batches = statement_batches(document)
    sent = [statement for batch in batches for statement in batch]
    assert all(0 < len(batch) <= BATCH_SIZE for batch in batches)
    assert sorted(s["id"] for s in sent) == sorted(s.id for s in document.statements)
    for batch in batches:
        validate_batch(batch)  # what POST /xapi/statements checks first
    names = {x.email: f"{x.given_name} {x.family_name}" for x in document.learners}
    seen: dict[str, datetime] = {}
    for statement in sent:
        actor = statement["actor"]
        email = actor["mbox"].removeprefix("mailto:")
        assert actor == {"objectType": "Agent", "name": names[email], "mbox": f"mailto:{email}"}
        # Each learner's statements go in the order they happened.
        at = parse_timestamp(statement["timestamp"])
        assert at >= seen.get(email, at)
        seen[email] = at
    assert statement_batches(demo(250)) == batches  # same seed, same requests


def test_what_the_lrs_makes_of_the_statements_is_what_is_imported() -> None:
    """The rules of docs/xapi.md ("What a statement moves"), applied to the statements in the
    order they are sent, give each enrolment's imported modules, percentage and status; a
    withdrawal, which no statement says, is the only exception."""
    for seed in (1, 2, 3):
        document = demo(250, seed)
        modules = {
            m.activity_id: (path.code, m.code, len(path.modules))
            for path in document.learning_paths
            for m in path.modules
        }
        outcomes: dict[tuple[str, str], dict[str, tuple[str, float | None, datetime]]] = {}
        for batch in statement_batches(document):
            for statement in batch:
                verb = statement["verb"]["id"].rsplit("/", 1)[-1]
                found = modules.get(statement["object"]["id"])
                if verb not in ("completed", "passed", "failed") or found is None:
                    continue
                email = statement["actor"]["mbox"].removeprefix("mailto:")
                score = statement.get("result", {}).get("score", {}).get("scaled")
                at = parse_timestamp(statement["timestamp"])
                outcomes.setdefault((email, found[0]), {})[found[1]] = (verb, score, at)
        for enrolment in document.enrolments:
            moved = outcomes.get((enrolment.learner, enrolment.path), {})
            imported = {
                m.module: (m.status, m.score_scaled, m.updated_at) for m in enrolment.modules
            }
            assert {k: v for k, v in imported.items() if v[0] != "attempted"} == moved
            total = next(
                len(p.modules) for p in document.learning_paths if p.code == enrolment.path
            )
            done = sum(status in ("completed", "passed") for status, _, _ in moved.values())
            assert enrolment.progress == round(100 * done / total)
            if done == total:
                assert enrolment.status is EnrolmentStatus.COMPLETED
                assert enrolment.completed_at == max(at for _, _, at in moved.values())
            elif moved:
                assert enrolment.status in (EnrolmentStatus.IN_PROGRESS, EnrolmentStatus.WITHDRAWN)


def test_a_path_completed_after_a_failed_quiz_shows_the_second_attempt() -> None:
    document = demo(250)
    by_module: dict[tuple[str, str], list[str]] = {}
    for statement in sorted(document.statements, key=lambda s: s.timestamp):
        by_module.setdefault((statement.learner, statement.object), []).append(
            statement.verb.rsplit("/", 1)[-1]
        )
    retaken = [verbs for verbs in by_module.values() if len(verbs) > 1]
    assert retaken and all(verbs == ["failed", "passed"] for verbs in retaken)


# -- complete: every funding type, every stage of every clock ---------------------------------


def test_every_funding_type_has_contracts_with_learners() -> None:
    document = demo(MIN_COMPLETE)
    funded = Counter(c.funding_type for c in document.contracts for _ in c.learners)
    assert set(funded) == set(FundingType)
    assert len(document.cpf_dossiers) >= 1 and len(document.opco_dossiers) >= 1


def test_sponsors_are_organisations_with_contacts_and_individuals() -> None:
    kinds = {(s.kind.value, bool(s.contacts)) for s in demo().sponsors}
    assert kinds == {("organisation", True), ("individual", False)}


def edges(document: ImportDocument, today: date) -> dict[str, bool]:
    """Which retention edges the document has records on, relative to ``today``."""

    def soon(end: date) -> bool:
        return today <= end < today + NEAR

    def ended(end: date) -> bool:
        return today - NEAR <= end < today

    learners = [retention_end(x.last_activity_at, 18) for x in document.learners]
    # Invoices run from the close of their financial year (31 December): they expire together
    # on 1 January, so "near" and "past" are within a year rather than a month.
    invoices = [retention_end(date(i.issued_on.year, 12, 31), 120) for i in document.invoices]
    year = timedelta(days=366)
    opco = [retention_end(dossier.training_end, 72) for dossier in document.opco_dossiers]
    last: dict[str, date] = {}
    for contract in document.contracts:
        if contract.sponsor is not None:
            last[contract.sponsor] = max(contract.ends_on, last.get(contract.sponsor, date.min))
    organisations = {s.ref for s in document.sponsors if s.kind.value == "organisation"}
    sponsors = [retention_end(end, 18) for ref, end in last.items() if ref in organisations]
    messages = [retention_end(m.last_exchange_at, 18) for m in document.contact_messages]
    three_months_ago = today - relativedelta(months=3)
    return {
        "learner recently active": any(
            x.last_activity_at.date() > three_months_ago for x in document.learners
        ),
        "learner 17 months inactive": any(soon(end) for end in learners),
        "learner just past 18 months": any(ended(end) for end in learners),
        "learner long gone": any(end < today - relativedelta(months=6) for end in learners),
        "invoice near 120 months": any(today <= end < today + year for end in invoices),
        "invoice past 120 months": any(today - year <= end < today for end in invoices),
        "OPCO dossier near 72 months": any(soon(end) for end in opco),
        "OPCO dossier past 72 months": any(ended(end) for end in opco),
        "sponsor near 18 months": any(soon(end) for end in sponsors),
        "sponsor past 18 months": any(ended(end) for end in sponsors),
        "contact message recent": any(end > today + NEAR for end in messages),
        "contact message near 18 months": any(soon(end) for end in messages),
        "contact message past 18 months": any(ended(end) for end in messages),
    }


@pytest.mark.parametrize("learners", [MIN_COMPLETE, 1000])
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    "today", [TODAY, date(2026, 3, 31), date(2028, 2, 29), date(2026, 12, 31)], ids=str
)
def test_records_sit_on_both_sides_of_every_retention_edge(
    learners: int, seed: int, today: date
) -> None:
    found = edges(demo(learners, seed, today), today)
    assert [edge for edge, present in found.items() if not present] == []


def test_newsletter_has_every_status_with_its_consent_proof() -> None:
    subscriptions = demo().newsletter_subscriptions
    assert {s.status for s in subscriptions} == {"confirmed", "pending", "unsubscribed"}
    for s in subscriptions:
        assert s.consent_at and s.consent_source and s.consent_notice_version and s.consent_wording
        assert (s.confirmed_at is None) == (s.status == "pending")
        assert (s.unsubscribed_at is None) == (s.status != "unsubscribed")
        if s.unsubscribed_at is not None:
            assert s.confirmed_at is not None and s.confirmed_at < s.unsubscribed_at


def test_contact_messages_answer_after_they_arrive() -> None:
    for message in demo().contact_messages:
        assert message.received_at <= message.last_exchange_at


def test_some_people_hold_several_roles() -> None:
    document = demo(250)
    learners = {learner.email for learner in document.learners}
    assert learners & {s.email for s in document.sponsors}, "learners paying for themselves"
    assert learners & {s.email for s in document.newsletter_subscriptions}
    assert learners & {i.billing_email for i in document.invoices}


# -- fictional, and it scales --------------------------------------------------------------------


def test_every_address_is_on_a_reserved_domain() -> None:
    text = demo(250).model_dump_json()
    domains = {match.lower() for match in re.findall(r"@([A-Za-z0-9.-]+)", text)}
    assert domains == {"example.org", "example.com"}


def test_phone_numbers_come_from_the_ranges_reserved_for_fiction() -> None:
    phones = [c.phone for s in demo(250).sponsors for c in s.contacts if c.phone]
    assert phones and all(p.startswith(("+33 1 99 00 ", "+33 6 39 98 ")) for p in phones)


def test_records_grow_in_proportion_to_learners() -> None:
    small, large = demo(100), demo(1000)
    assert len(large.learners) == 1000 and len(small.learners) == 100
    for section in (
        "contracts",
        "statements",
        "invoices",
        "sponsors",
        "newsletter_subscriptions",
        "contact_messages",
    ):
        ratio = len(getattr(large, section)) / len(getattr(small, section))
        assert 6 < ratio < 14, section


def test_a_demo_needs_a_learner() -> None:
    with pytest.raises(ValueError, match="at least one learner"):
        build_demo_document(learners=0, seed=1, today=TODAY)


def _values(node: Any, kind: type) -> Any:
    if isinstance(node, kind):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _values(value, kind)
    elif isinstance(node, list):
        for value in node:
            yield from _values(value, kind)

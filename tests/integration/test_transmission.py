"""Transmissions: per funding type exactly what the policy allows leaves, and it is logged.

What may leave is never listed here by hand: it is read from the policy (``allowed``), so a
policy change changes what these tests expect.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select

from gardien.domain.clock import FixedClock
from gardien.domain.disclosure import allowed_disclosure
from gardien.domain.vocabulary import FundingType
from gardien.errors import DisclosureRefusedError, NotFoundError
from gardien.policy import Policy
from gardien.services.erasure import erase_subject
from gardien.services.subject_export import export_subject
from gardien.services.transmission import Target, transmit
from gardien.services.transmission.transmit import CERTIFICATE, CERTIFICATE_FIELDS
from gardien.store.audit import verify_audit
from gardien.store.disclosure import LEARNING_PATH, MODULE_CONTEXT, PATH_CONTEXT, category_fields
from gardien.store.tables import audit_entry, disclosure, disclosure_subject, learner
from gardien.store.uow import UnitOfWork
from tests.support.lookup import LOOKUP
from tests.support.retention_samples import default_policy
from tests.support.transmission_samples import (
    CONTRACTS,
    LEARNERS,
    RECIPIENTS,
    email,
    load_contracts,
)

NOW = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
SENT = [ref for ref, (funding, _, _) in CONTRACTS.items() if funding != "online_payment"]


@pytest.fixture(scope="module")
def policy() -> Policy:
    return default_policy()


def send(engine: Engine, policy: Policy, ref: str, fmt: str = "json") -> Any:
    """Transmit contract ``ref`` to the recipient its funding type has in the policy."""
    return transmit(
        UnitOfWork(engine, write=True),
        policy=policy,
        clock=FixedClock(NOW),
        target=Target(contract=ref),
        recipient=RECIPIENTS[CONTRACTS[ref][0]],
        fmt=fmt,
        actor="test",
    )


def allowed(policy: Policy, ref: str) -> tuple[set[str], set[str]]:
    """The policy's scalar fields for this contract's recipient, and its categories."""
    funding = FundingType(CONTRACTS[ref][0])
    allowance = allowed_disclosure(policy, funding, RECIPIENTS[funding.value])
    return set(allowance.fields), set(allowance.categories)


def pseudonyms(engine: Engine, names: list[str]) -> set[str]:
    with engine.connect() as connection:
        return set(
            connection.execute(
                select(learner.c.pseudonym).where(learner.c.email.in_([email(n) for n in names]))
            ).scalars()
        )


def learner_values(engine: Engine, name: str) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(select(learner).where(learner.c.email == email(name))).one()
    return {f"learner.{key}": value for key, value in row._mapping.items()}


@pytest.mark.parametrize("ref", SENT)
def test_each_funding_type_sends_exactly_what_the_policy_allows_and_logs_it(
    engine: Engine, policy: Policy, ref: str
) -> None:
    load_contracts(engine)
    sent = send(engine, policy, ref)
    document = json.loads(sent.payload)
    [section] = document["contracts"]
    fields, categories = allowed(policy, ref)
    names = CONTRACTS[ref][1]
    assert section["reference"] == ref
    assert len(section["records"]) == len(names)
    for record in section["records"]:
        extra = {LEARNING_PATH} if categories else set()
        certificate = {CERTIFICATE} if set(CERTIFICATE_FIELDS) <= fields else set()
        assert set(record) == fields | extra | certificate
        for path in record.get(LEARNING_PATH, []):
            path_fields = {f for f in category_fields(LEARNING_PATH) if f.startswith("enrolment.")}
            assert set(path) == path_fields | set(PATH_CONTEXT) | {"modules"}
            assert path["modules"], "the learning path goes with its modules"
            for module in path["modules"]:
                module_fields = {
                    f for f in category_fields(LEARNING_PATH) if f.startswith("module_progress.")
                }
                assert set(module) == module_fields | set(MODULE_CONTEXT)
    # No value of a learner field the policy does not allow is in the bytes sent (unless an
    # allowed field holds it too: an OPCO's trainee name holds the family name).
    allowed_text = " ".join(
        str(value) for record in section["records"] for value in record.values()
    )
    for name in names:
        for key, value in learner_values(engine, name).items():
            if key in fields or not isinstance(value, str) or len(value) <= 3:
                continue
            if value not in allowed_text:
                assert value.encode() not in sent.payload, key
    # The log: recipient, basis, fields, subjects and the digest of exactly these bytes.
    assert sent.sha256 == hashlib.sha256(sent.payload).hexdigest()
    with engine.connect() as connection:
        [logged] = connection.execute(select(disclosure)).all()
        subjects = set(
            connection.execute(
                select(disclosure_subject.c.pseudonym).where(
                    disclosure_subject.c.disclosure_id == logged.id
                )
            ).scalars()
        )
        audit = connection.execute(
            select(audit_entry.c.details).where(audit_entry.c.action == "transmission.sent")
        ).scalar_one()
        assert verify_audit(connection).ok
    funding = FundingType(CONTRACTS[ref][0])
    allowance = allowed_disclosure(policy, funding, RECIPIENTS[funding.value])
    assert logged.recipient == RECIPIENTS[funding.value]
    assert logged.legal_basis == allowance.basis
    assert logged.payload_sha256 == sent.sha256
    assert logged.actor == "test"
    assert set(json.loads(logged.fields)) >= fields
    assert subjects == pseudonyms(engine, names)
    assert audit["payload_sha256"] == sent.sha256
    assert set(audit["subjects"]) == subjects
    assert "@" not in json.dumps(audit)


def test_online_payment_is_refused_citing_the_policy_and_nothing_is_logged(
    engine: Engine, policy: Policy
) -> None:
    load_contracts(engine)
    summary = policy.disclosure[FundingType.ONLINE_PAYMENT].summary
    for recipient in ("funding_body", "employer", "anyone"):
        with pytest.raises(DisclosureRefusedError) as refused:
            transmit(
                UnitOfWork(engine, write=True),
                policy=policy,
                clock=FixedClock(NOW),
                target=Target(contract="C-WEB"),
                recipient=recipient,
            )
        assert summary.fr in str(refused.value) and summary.en in str(refused.value)
    with engine.connect() as connection:
        assert connection.execute(select(disclosure)).all() == []


def test_a_recipient_the_policy_does_not_name_for_the_funding_type_is_refused(
    engine: Engine, policy: Policy
) -> None:
    load_contracts(engine)
    with pytest.raises(DisclosureRefusedError, match="no recipient 'employer' for cpf"):
        transmit(
            UnitOfWork(engine, write=True),
            policy=policy,
            clock=FixedClock(NOW),
            target=Target(contract="C-CPF"),
            recipient="employer",
        )
    with pytest.raises(NotFoundError):
        transmit(
            UnitOfWork(engine, write=True),
            policy=policy,
            clock=FixedClock(NOW),
            target=Target(contract="C-NONE"),
            recipient="employer",
        )


def test_a_field_removed_from_the_policy_no_longer_leaves(engine: Engine, policy: Policy) -> None:
    load_contracts(engine)
    rule = policy.disclosure[FundingType.CPF]
    body = rule.recipients["funding_body"]
    narrower = body.model_copy(
        update={"fields": [f for f in body.fields if f != "learner.family_name"]}
    )
    changed = policy.model_copy(
        update={
            "disclosure": {
                **policy.disclosure,
                FundingType.CPF: rule.model_copy(
                    update={"recipients": {**rule.recipients, "funding_body": narrower}}
                ),
            }
        }
    )
    sent = send(engine, changed, "C-CPF")
    [record] = json.loads(sent.payload)["contracts"][0]["records"]
    assert "learner.family_name" not in record
    assert LEARNERS["ana"][2].encode() not in sent.payload
    assert record["learner.given_name"] == "Ana"


def test_csv_has_one_row_per_module_and_the_policys_columns(engine: Engine, policy: Policy) -> None:
    load_contracts(engine)
    sent = send(engine, policy, "C-EMP", fmt="csv")
    assert sent.media_type.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(sent.payload.decode())))
    fields, _ = allowed(policy, "C-EMP")
    assert fields <= set(rows[0])
    assert len(rows) == 2 * 2  # two learners, two modules each
    assert {row["learner.given_name"] for row in rows} == {"Chloé", "Dan"}
    assert {row["learning_module.code"] for row in rows} == {"M1", "M2"}
    assert sent.sha256 == hashlib.sha256(sent.payload).hexdigest()


def test_the_opco_gets_the_certificate_of_completion_as_a_pdf(
    engine: Engine, policy: Policy
) -> None:
    load_contracts(engine)
    sent = send(engine, policy, "C-OPCO")
    [record] = json.loads(sent.payload)["contracts"][0]["records"]
    attached = record[CERTIFICATE]
    pdf = base64.b64decode(attached["pdf_base64"])
    assert hashlib.sha256(pdf).hexdigest() == attached["sha256"]
    assert sent.certificates[attached["filename"]] == pdf
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Bob Opcaud" in text and "OPCO-AG-1" in text
    assert record["invoice.number"] == ["F-OPCO-1"]


def test_a_sponsors_contracts_over_a_period_go_together_and_others_are_skipped(
    engine: Engine, policy: Policy
) -> None:
    load_contracts(engine)
    sent = transmit(
        UnitOfWork(engine, write=True),
        policy=policy,
        clock=FixedClock(NOW),
        target=Target(sponsor="SP-EMP", start=date(2025, 1, 1), end=date(2026, 12, 31)),
        recipient="employer",
    )
    assert sent.contracts == ["C-EMP"]
    assert sent.skipped == ["C-OPCO"]
    with pytest.raises(DisclosureRefusedError, match="no contract"):
        transmit(
            UnitOfWork(engine, write=True),
            policy=policy,
            clock=FixedClock(NOW),
            target=Target(sponsor="SP-EMP", start=date(2020, 1, 1), end=date(2020, 12, 31)),
            recipient="employer",
        )


def test_a_persons_export_lists_who_received_what_and_when(engine: Engine, policy: Policy) -> None:
    load_contracts(engine)
    sent = send(engine, policy, "C-CPF")
    export = export_subject(
        email("ana"), uow=UnitOfWork(engine), policy=policy, clock=FixedClock(NOW), lookup=LOOKUP
    )
    [item] = export["transmissions"]
    assert item["recipient"] == "funding_body"
    assert (
        item["recipient_label"]["fr"]
        == policy.disclosure[FundingType.CPF].recipients["funding_body"].label.fr
    )
    assert item["transmitted_at"] == NOW.isoformat()
    assert item["contract"] == "C-CPF"
    assert item["payload_sha256"] == sent.sha256
    assert "learner.family_name" in item["fields"]
    other = export_subject(
        email("fay"), uow=UnitOfWork(engine), policy=policy, clock=FixedClock(NOW), lookup=LOOKUP
    )
    assert other["transmissions"] == []


def test_an_erasure_names_the_recipients_to_inform_and_keeps_the_log(
    engine: Engine, policy: Policy
) -> None:
    load_contracts(engine)
    send(engine, policy, "C-CPF")
    [ana] = pseudonyms(engine, ["ana"])
    result = erase_subject(
        email("ana"),
        uow=UnitOfWork(engine, write=True),
        policy=policy,
        clock=FixedClock(NOW),
        lookup=LOOKUP,
    )
    assert result.recipients == [
        {"recipient": "funding_body", "contract": "C-CPF", "transmitted_at": NOW.isoformat()}
    ]
    # The log stays (accountability, art. 5(2)); its pseudonym now names nobody.
    with engine.connect() as connection:
        assert connection.execute(select(disclosure_subject.c.pseudonym)).scalars().all() == [ana]
        assert connection.execute(select(learner).where(learner.c.pseudonym == ana)).all() == []
        # The entry carries the keyed lookup of her address: she still learns who received what.
        marks = connection.execute(select(disclosure_subject.c.subject_lookup)).scalars().all()
        assert marks == [LOOKUP.of(email("ana"))]
    after = export_subject(
        email("ana"), uow=UnitOfWork(engine), policy=policy, clock=FixedClock(NOW), lookup=LOOKUP
    )
    assert [item["contract"] for item in after["transmissions"]] == ["C-CPF"]

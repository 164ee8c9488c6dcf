"""Property: for random policies and contracts, what a transmission holds is always within what
the policy allows (hypothesis), and the log says exactly what was sent.

One SQLite file with a contract of every funding type is built once for the module; each
example draws a policy whose disclosure rules allow a random subset of every field a
transmission can reach (and the learning path or not), then transmits a random contract.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from gardien.domain.clock import FixedClock
from gardien.domain.vocabulary import FundingType
from gardien.errors import DisclosureRefusedError
from gardien.policy import Policy
from gardien.services.transmission import Target, transmit
from gardien.services.transmission.transmit import CERTIFICATE, CERTIFICATE_FIELDS
from gardien.store.disclosure import LEARNING_PATH, MODULE_CONTEXT, PATH_CONTEXT, category_fields
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import (
    contract,
    cpf_dossier,
    disclosure,
    invoice,
    learner,
    opco_dossier,
    sponsor,
)
from gardien.store.uow import UnitOfWork
from tests.support.retention_samples import default_policy
from tests.support.transmission_samples import CONTRACTS, load_contracts

# Every column a transmission can reach, but keys (ids): the fields a policy may name.
REACHABLE = sorted(
    f"{table.name}.{column.name}"
    for table in (learner, contract, sponsor, cpf_dossier, opco_dossier, invoice)
    for column in table.columns
    if not column.primary_key and not column.foreign_keys
)
PATH_FIELDS = {f for f in category_fields(LEARNING_PATH) if f.startswith("enrolment.")}
MODULE_FIELDS = {f for f in category_fields(LEARNING_PATH) if f.startswith("module_progress.")}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('prop') / 'contracts.sqlite3'}")
    upgrade(engine)
    load_contracts(engine)
    yield engine
    engine.dispose()


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    """The shipped policy with every recipient's fields and categories drawn at random."""
    base = default_policy()
    rules = {}
    for funding, rule in base.disclosure.items():
        recipients = {
            name: recipient.model_copy(
                update={
                    "fields": draw(st.lists(st.sampled_from(REACHABLE), unique=True)),
                    "categories": draw(st.sampled_from([[], [LEARNING_PATH]])),
                }
            )
            for name, recipient in rule.recipients.items()
        }
        rules[funding] = rule.model_copy(update={"recipients": recipients})
    return base.model_copy(update={"disclosure": rules})


def keys_allowed(record: dict[str, Any], fields: set[str], categories: set[str]) -> None:
    extra = {LEARNING_PATH} if LEARNING_PATH in categories else set()
    if set(CERTIFICATE_FIELDS) <= fields:
        extra.add(CERTIFICATE)
    assert set(record) <= fields | extra
    for path in record.get(LEARNING_PATH, []):
        assert set(path) <= PATH_FIELDS | set(PATH_CONTEXT) | {"modules"}
        for module in path["modules"]:
            assert set(module) <= MODULE_FIELDS | set(MODULE_CONTEXT)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(policy=policies(), ref=st.sampled_from(sorted(CONTRACTS)))
def test_what_leaves_is_always_within_what_the_policy_allows(
    loaded: Engine, policy: Policy, ref: str
) -> None:
    funding = FundingType(CONTRACTS[ref][0])
    rule = policy.disclosure[funding]
    if not rule.recipients:
        with pytest.raises(DisclosureRefusedError):
            transmit(
                UnitOfWork(loaded, write=True),
                policy=policy,
                clock=FixedClock(datetime(2026, 2, 1, tzinfo=UTC)),
                target=Target(contract=ref),
                recipient="anyone",
            )
        return
    for recipient_id, recipient in rule.recipients.items():
        fields, categories = set(recipient.fields), set(recipient.categories)
        sent = transmit(
            UnitOfWork(loaded, write=True),
            policy=policy,
            clock=FixedClock(datetime(2026, 2, 1, tzinfo=UTC)),
            target=Target(contract=ref),
            recipient=recipient_id,
        )
        [section] = json.loads(sent.payload)["contracts"]
        for record in section["records"]:
            keys_allowed(record, fields, categories)
        category_columns = PATH_FIELDS | MODULE_FIELDS if categories else set()
        assert set(section["fields"]) <= fields | category_columns | {CERTIFICATE}
        with loaded.connect() as connection:
            logged = connection.execute(
                select(disclosure.c.fields, disclosure.c.payload_sha256).where(
                    disclosure.c.id == sent.disclosure_ids[0]
                )
            ).one()
        assert json.loads(logged.fields) == section["fields"]
        assert logged.payload_sha256 == sent.sha256


def test_the_reachable_fields_cover_the_shipped_policy() -> None:
    # The property draws from REACHABLE: it must include what the real policy sends.
    shipped = {
        f
        for rule in default_policy().disclosure.values()
        for recipient in rule.recipients.values()
        for f in recipient.fields
    }
    assert shipped <= set(REACHABLE)

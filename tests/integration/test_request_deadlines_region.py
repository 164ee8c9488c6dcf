"""The policy's ``controller.holiday_region`` reaches the deadlines the services compute.

In Alsace-Moselle Good Friday and 26 December are public holidays: a request whose month (or
whose extension) ends on one is due on the next working day there, and on that day elsewhere.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from gardien.bootstrap import Container
from gardien.domain.clock import FixedClock
from gardien.services import console
from gardien.services.accounts.context import AccountServices
from gardien.services.objection import object_to_commercial
from gardien.services.requests import record_request, request_by_reference
from gardien.settings import Settings
from gardien.store.uow import UnitOfWork
from tests.support.retention_samples import default_policy

PERSON = "odile.delai@example.org"


def _services(engine: Engine, at: datetime, region: str | None) -> AccountServices:
    policy = default_policy()
    controller = policy.controller.model_copy(update={"holiday_region": region})
    container = Container(
        settings=Settings(),
        policy=policy.model_copy(update={"controller": controller}),
        clock=FixedClock(at),
        _engine=engine,
    )
    return container.accounts()


@pytest.mark.parametrize(
    ("region", "due"), [(None, date(2025, 12, 26)), ("67", date(2025, 12, 29))]
)
def test_a_request_due_on_26_december_moves_only_in_alsace_moselle(
    engine: Engine, region: str | None, due: date
) -> None:
    received = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
    services = _services(engine, received, region)
    view = object_to_commercial(
        UnitOfWork(engine, write=True), services, actor="learner:1", email=PERSON
    )
    assert view.deadline.due_on == due


@pytest.mark.parametrize(
    ("region", "extended"), [(None, date(2025, 4, 18)), ("57", date(2025, 4, 22))]
)
def test_an_extension_ending_on_good_friday_moves_only_in_alsace_moselle(
    engine: Engine, region: str | None, extended: date
) -> None:
    received = datetime(2025, 1, 18, 9, 0, tzinfo=UTC)
    with engine.begin() as connection:
        reference = record_request(
            connection,
            now=received,
            email=PERSON,
            kind="access",
            identity_check="email_link",
            actor="web",
            region=region,
        ).reference
    services = _services(engine, datetime(2025, 2, 1, 9, 0, tzinfo=UTC), region)
    console.extend(
        UnitOfWork(engine, write=True),
        services,
        reference=reference,
        reason="Demande complexe.",
        actor="dpo:1",
    )
    view = request_by_reference(UnitOfWork(engine), reference, today=date(2025, 2, 1))
    assert view.deadline.extended_to == extended

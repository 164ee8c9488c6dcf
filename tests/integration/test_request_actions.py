"""The DPO's answers to requests filed without an account: a download link that works once and
expires, a rectification recorded by field name (services/request_actions.py)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from gardien.bootstrap import Container
from gardien.domain.clock import FixedClock
from gardien.errors import (
    ExpiredLinkError,
    InvalidInputError,
    InvalidLinkError,
    RequestStateError,
    UsedLinkError,
)
from gardien.services import console
from gardien.services import request_actions as actions
from gardien.services.accounts.context import AccountServices
from gardien.services.requests import record_request
from gardien.settings import Settings
from gardien.store.tables import audit_entry, export_link, outbox_message, subject_request
from gardien.store.uow import UnitOfWork
from tests.support.retention_samples import default_policy, run_sweep
from tests.support.sweep_people import CURIOUS, load_messages

pytestmark = pytest.mark.integration

DPO = console.dpo_actor(7)
SENT = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def services_at(engine: Engine, instant: datetime) -> AccountServices:
    container = Container(
        settings=Settings(), policy=default_policy(), clock=FixedClock(instant), _engine=engine
    )
    return container.accounts()


def filed(engine: Engine, kind: str, email: str = CURIOUS, lang: str = "en") -> str:
    with engine.begin() as connection:
        return record_request(
            connection,
            now=SENT - timedelta(days=3),
            email=email,
            kind=kind,
            identity_check="email_link",
            details={"lang": lang, "message": "Please."},
            actor="requester",
        ).reference


def audit(engine: Engine, action: str) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(audit_entry).where(audit_entry.c.action == action)))


def sent_link(engine: Engine) -> tuple[str, str]:
    """The token of the last download link e-mailed, and the e-mail's body."""
    with engine.connect() as connection:
        body = connection.execute(
            select(outbox_message.c.body).where(outbox_message.c.kind == actions.EXPORT_MAIL)
        ).scalar_one()
    found = re.search(r"/requests/export/(\S+)", body)
    assert found, body
    return found.group(1), body


def test_a_link_is_sent_and_works_once(engine: Engine) -> None:
    load_messages(engine)
    reference = filed(engine, "access")

    view, until = actions.send_export_link(
        UnitOfWork(engine, write=True),
        services_at(engine, SENT),
        reference=reference,
        actor=DPO,
        valid_for=WEEK,
    )

    assert view.status == "completed" and until == SENT + WEEK
    token, body = sent_link(engine)
    assert "/requests/status/" in body  # the request's page is linked too
    assert "8 June 2026 12:00" in body  # until when, in Paris time
    with engine.connect() as connection:
        stored = connection.execute(select(export_link.c.token_sha256)).scalar_one()
    assert token not in stored and len(stored) == 64  # only its digest is kept

    later = services_at(engine, SENT + timedelta(days=2))
    assert actions.export_link_of(UnitOfWork(engine), later, token).reference == reference
    link, email = actions.use_export_link(UnitOfWork(engine, write=True), later, token)
    assert (link.reference, link.lang, email) == (reference, "en", CURIOUS)
    with pytest.raises(UsedLinkError):
        actions.use_export_link(UnitOfWork(engine, write=True), later, token)
    with pytest.raises(UsedLinkError):
        actions.export_link_of(UnitOfWork(engine), later, token)
    [downloaded] = audit(engine, actions.EXPORT_DOWNLOADED)
    assert downloaded.details == {"request": reference, "format": "json"}
    [sent] = audit(engine, actions.EXPORT_SENT)
    assert sent.actor == DPO and "@" not in json.dumps(sent.details)


def test_a_link_past_its_end_is_refused_and_a_forged_one_too(engine: Engine) -> None:
    reference = filed(engine, "portability")
    actions.send_export_link(
        UnitOfWork(engine, write=True),
        services_at(engine, SENT),
        reference=reference,
        actor=DPO,
        valid_for=WEEK,
    )
    token, _body = sent_link(engine)
    late = services_at(engine, SENT + WEEK)
    with pytest.raises(ExpiredLinkError):
        actions.use_export_link(UnitOfWork(engine, write=True), late, token)
    with pytest.raises(InvalidLinkError):
        actions.export_link_of(UnitOfWork(engine), late, token[:-2] + "xx")
    assert audit(engine, actions.EXPORT_DOWNLOADED) == []


def test_only_an_open_access_request_by_link_gets_a_link(engine: Engine) -> None:
    erasure = filed(engine, "erasure")
    with pytest.raises(RequestStateError):
        actions.send_export_link(
            UnitOfWork(engine, write=True),
            services_at(engine, SENT),
            reference=erasure,
            actor=DPO,
            valid_for=WEEK,
        )


def test_the_links_go_with_their_request_when_it_is_swept(engine: Engine) -> None:
    reference = filed(engine, "access")
    actions.send_export_link(
        UnitOfWork(engine, write=True),
        services_at(engine, SENT),
        reference=reference,
        actor=DPO,
        valid_for=WEEK,
    )
    run_sweep(engine, (SENT + timedelta(days=61 * 31)).date())
    with engine.connect() as connection:
        assert connection.execute(select(subject_request)).all() == []
        assert connection.execute(select(export_link)).all() == []


def test_a_rectification_is_recorded_by_field_name(engine: Engine) -> None:
    reference = filed(engine, "rectification", lang="fr")
    allowed = ["contact_message.name", "contact_message.email"]
    services = services_at(engine, SENT)
    for fields, note, culprit in (([], "Nom corrigé.", "fields"), (allowed, "  ", "note")):
        with pytest.raises(InvalidInputError) as refused:
            actions.record_rectification(
                UnitOfWork(engine, write=True),
                services,
                reference=reference,
                fields=fields,
                allowed=allowed,
                note=note,
                actor=DPO,
            )
        assert refused.value.field == culprit

    view = actions.record_rectification(
        UnitOfWork(engine, write=True),
        services,
        reference=reference,
        fields=["contact_message.name", "learner.password_hash"],  # not held: left out
        allowed=allowed,
        note="Votre nom est corrigé : Zoé.",
        actor=DPO,
    )

    assert view.status == "completed"
    assert view.outcome == {
        "rectified": ["contact_message.name"],
        "note": "Votre nom est corrigé : Zoé.",
    }
    [entry] = audit(engine, actions.RECTIFIED)
    assert entry.details == {"request": reference, "fields": ["contact_message.name"]}
    with engine.connect() as connection:
        body = connection.execute(
            select(outbox_message.c.body).where(outbox_message.c.kind == "request_closed")
        ).scalar_one()
    assert "/requests/status/" in body and "Votre demande" in body

"""A request link files one request, even when it is submitted twice at the same moment, on
SQLite and PostgreSQL (docs/requests.md, "Without an account")."""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from gardien.domain.clock import FixedClock
from gardien.errors import InvalidLinkError
from gardien.services.accounts.breached import LocalBreachedList
from gardien.services.accounts.context import AccountServices
from gardien.services.accounts.passwords import PasswordHasher
from gardien.services.accounts.sessions import SessionTimeouts
from gardien.services.requests import RequestView, file_verified, send_verification
from gardien.store.audit import verify_audit
from gardien.store.tables import audit_entry, outbox_message, subject_request
from gardien.store.uow import UnitOfWork
from tests.support.locks import audit_head_held
from tests.support.lookup import LOOKUP
from tests.support.retention_samples import default_policy
from tests.support.threads import run_together

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
VISITOR = "visiteur.course@example.org"
BASE64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
SERVICES = AccountServices(
    policy=default_policy(),
    clock=FixedClock(NOW),
    secret="integration-secret",
    public_url="http://127.0.0.1:8000",
    hasher=PasswordHasher(),
    breached=LocalBreachedList(),
    lookup=LOOKUP,
    timeouts=SessionTimeouts(idle=timedelta(minutes=30), absolute=timedelta(hours=12)),
)


def verification_link(engine: Engine) -> str:
    """Ask for a link as the /requests form does; the token it carries."""
    send_verification(
        UnitOfWork(engine, write=True), SERVICES, email=VISITOR, kind="erasure", lang="fr"
    )
    with engine.connect() as connection:
        [body] = connection.execute(
            select(outbox_message.c.body).where(outbox_message.c.kind == "request_verify")
        ).scalars()
    [token] = [
        line.strip().rsplit("/", 1)[1] for line in body.splitlines() if "/requests/verify/" in line
    ]
    return token


def count(engine: Engine, query: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def submit(
    engine: Engine, token: str, answers: list[tuple[RequestView, str]]
) -> Callable[[], None]:
    def job() -> None:
        answers.append(
            file_verified(
                UnitOfWork(engine, write=True),
                SERVICES,
                token=token,
                email=VISITOR.upper(),
                details="Merci d'effacer mes données.",
                lang="fr",
            )
        )

    return job


def test_a_link_submitted_twice_at_once_files_one_request(engine: Engine) -> None:
    token = verification_link(engine)
    answers: list[tuple[RequestView, str]] = []
    jobs = [submit(engine, token, answers), submit(engine, token, answers)]
    # On PostgreSQL the first submission inserts and waits on the audit head; the second meets
    # its uncommitted row and waits too; only then does the head go.
    with audit_head_held(engine, waiters=2) as release:
        run_together(*jobs, release)

    [(first, first_follow), (second, second_follow)] = answers
    assert first == second and first_follow == second_follow
    assert first.kind == "erasure" and first.email == VISITOR
    assert count(engine, select(func.count()).select_from(subject_request)) == 1
    filed_mails = select(func.count()).where(outbox_message.c.kind == "request_filed")
    assert count(engine, filed_mails) == 1
    recorded = select(func.count()).where(audit_entry.c.action == "request.recorded")
    assert count(engine, recorded) == 1
    with engine.connect() as connection:
        assert verify_audit(connection).ok


def test_the_link_followed_again_later_shows_the_same_request(engine: Engine) -> None:
    token = verification_link(engine)
    answers: list[tuple[RequestView, str]] = []
    submit(engine, token, answers)()
    submit(engine, token, answers)()
    [(first, _), (again, _)] = answers
    assert again.reference == first.reference
    assert count(engine, select(func.count()).select_from(subject_request)) == 1


def test_another_spelling_of_the_same_link_files_nothing_more(engine: Engine) -> None:
    # Base64 decoders accept padding and ignore a last character's spare bits: without a
    # check, "the same link spelt differently" would digest differently and file again.
    token = verification_link(engine)
    answers: list[tuple[RequestView, str]] = []
    submit(engine, token, answers)()
    spare_bit = BASE64URL[BASE64URL.index(token[-1]) ^ 1]
    for respelt in (token + "==", token[:-1] + spare_bit):
        with pytest.raises(InvalidLinkError):
            submit(engine, respelt, answers)()
    assert len(answers) == 1
    assert count(engine, select(func.count()).select_from(subject_request)) == 1

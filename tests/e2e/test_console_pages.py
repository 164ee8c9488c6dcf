"""The DPO console over real HTTP: what the DPO sees, what each form does, who is kept out.

The server's clock is stopped at :data:`NOW` (``GARDIEN_NOW``), so the deadlines and the
second factor's codes are known in advance.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from gardien.services.requests import record_request
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import (
    audit_entry,
    contact_message,
    invoice,
    learner,
    newsletter_subscription,
    outbox_message,
    subject_request,
)
from tests.support.retention_samples import (
    document,
    invoice_doc,
    load,
    message_doc,
    subscription_doc,
)
from tests.support.server import running_server
from tests.support.web import WebClient, csrf_of, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
DPO = "dominique.dpo@example.org"
LEARNER = "lucie.apprenante@example.org"
ERASED = "camille.efface@example.org"
INVOICE = "FA-2025-1114"


@dataclass(frozen=True)
class Site:
    base: str
    engine: Engine
    dpo_id: int
    references: dict[str, str]


def _request(engine: Engine, received: datetime, email: str, kind: str) -> str:
    with engine.begin() as connection:
        return record_request(
            connection,
            now=received,
            email=email,
            kind=kind,
            identity_check="email_link",
            actor="web",
        ).reference


def _seed(engine: Engine) -> tuple[int, dict[str, str]]:
    dpo_id = make_account(engine, email=DPO, role="dpo", created_at=NOW)
    with engine.begin() as connection:
        learner_id = connection.execute(
            insert(learner)
            .values(
                pseudonym="4f0e6a8e-0000-4000-8000-000000000001",
                email=LEARNER,
                given_name="Lucie",
                family_name="Apprenante",
                created_at=NOW,
                last_activity_at=NOW,
            )
            .returning(learner.c.id)
        ).scalar_one()
    make_account(engine, email=LEARNER, role="learner", created_at=NOW, learner_id=learner_id)
    # Camille wrote to us, subscribed to the newsletter, and paid an invoice (kept 10 years).
    load(
        engine,
        document(
            contact_messages=[
                message_doc(
                    "Camille Efface",
                    ERASED,
                    received="2026-05-02T09:00:00Z",
                    last_exchange="2026-05-02T09:00:00Z",
                )
            ],
            newsletter_subscriptions=[subscription_doc(ERASED, None)],
            invoices=[invoice_doc(INVOICE, "2025-11-14", name="Camille Efface", email=ERASED)],
        ),
    )
    references = {
        # due Wednesday 20 May 2026: 12 days late on 1 June
        "overdue": _request(
            engine, datetime(2026, 4, 20, 9, tzinfo=UTC), "alix.retard@example.org", "access"
        ),
        # due Thursday 4 June 2026
        "soon": _request(
            engine, datetime(2026, 5, 4, 9, tzinfo=UTC), "bao.bientot@example.org", "objection"
        ),
        # due Monday 15 June; extended: three months, 15 August is a Saturday and a holiday
        "extend": _request(
            engine, datetime(2026, 5, 15, 9, tzinfo=UTC), "dana.delai@example.org", "portability"
        ),
        "complete": _request(
            engine, datetime(2026, 5, 18, 9, tzinfo=UTC), "eli.fini@example.org", "access"
        ),
        "erase": _request(engine, datetime(2026, 5, 25, 9, tzinfo=UTC), ERASED, "erasure"),
        "csrf": _request(
            engine, datetime(2026, 5, 26, 9, tzinfo=UTC), "fanny.jeton@example.org", "access"
        ),
    }
    return dpo_id, references


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('console') / 'console.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    dpo_id, references = _seed(engine)
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW.isoformat()}
    try:
        with running_server(env) as base:
            yield Site(base, engine, dpo_id, references)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def dpo(site: Site) -> Iterator[WebClient]:
    """The DPO, signed in once: the second factor's code of :data:`NOW` is good only once."""
    client = WebClient.open(site.base)
    client.sign_in(DPO, at=NOW)
    yield client
    client.close()


def _row(html: str, reference: str) -> str:
    found = re.search(rf'<tr([^>]*)data-reference="{reference}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, f"{reference} is not listed"
    return found.group(1) + found.group(2)


def _cells(row: str) -> list[str]:
    # The row's header (the reference) and its cells, in order.
    found = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in found]


def _request_row(engine: Engine, reference: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(
            select(subject_request).where(subject_request.c.reference == reference)
        ).one()


def _entries(engine: Engine, action: str, reference: str | None = None) -> list[Any]:
    with engine.connect() as connection:
        found = connection.execute(
            select(audit_entry).where(audit_entry.c.action == action).order_by(audit_entry.c.id)
        ).all()
    return [e for e in found if reference is None or e.details.get("request") == reference]


def _audited_by_dpo(site: Site, action: str, reference: str | None = None) -> None:
    found = _entries(site.engine, action, reference)
    assert found, f"no {action} entry"
    for entry in found:
        assert entry.actor == f"dpo:{site.dpo_id}"
        assert "@" not in json.dumps(entry.details)


def _count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
        )


# -- who may enter ----------------------------------------------------------------------------


PAGES = ["/console", "/console/messages", "/console/requests/DSR-WHATEVER"]


def test_without_a_session_the_console_asks_to_sign_in(site: Site) -> None:
    client = WebClient.open(site.base)
    try:
        for prefix in ("", "/en"):
            for page in PAGES:
                answer = client.get(f"{prefix}{page}")
                assert answer.status_code == 303
                assert answer.headers["location"] == f"{prefix}/account/sign-in"
    finally:
        client.close()


def test_a_learner_is_refused_every_console_page(site: Site) -> None:
    client = WebClient.open(site.base)
    try:
        client.sign_in(LEARNER)
        reference = site.references["soon"]
        for prefix in ("", "/en"):
            for page in [*PAGES[:2], f"/console/requests/{reference}"]:
                assert client.get(f"{prefix}{page}").status_code == 403
            for action in ("extend", "complete", "refuse", "erase"):
                answer = client.post_form(
                    f"{prefix}/console/requests/{reference}/{action}",
                    {"reason": "Non.", "note": "Non."},
                    form_page="/",
                )
                assert answer.status_code == 403
        assert _request_row(site.engine, reference).status == "open"
    finally:
        client.close()


# -- the dashboard -----------------------------------------------------------------------------


def test_the_dashboard_lists_requests_with_days_left_and_the_overdue_flag(
    site: Site, dpo: WebClient
) -> None:
    refs = site.references
    french = dpo.get("/console")
    assert french.status_code == 200
    late = _row(french.text, refs["overdue"])
    assert 'class="overdue"' in late
    assert _cells(late)[2:5] == ["20/04/2026", "20/05/2026", "-12"]
    soon = _row(french.text, refs["soon"])
    assert 'class="overdue"' not in soon
    assert _cells(soon)[3:5] == ["04/06/2026", "3"]
    # Most urgent first.
    assert french.text.index(refs["overdue"]) < french.text.index(refs["soon"])
    assert french.text.index(refs["soon"]) < french.text.index(refs["extend"])

    english = dpo.get("/en/console")
    late = _row(english.text, refs["overdue"])
    assert "Overdue" in late and "20 May 2026" in late
    assert "Overdue" not in _row(english.text, refs["soon"])
    for section in ("Purge forecast", "Last sweeps", "The hash chain verifies"):
        assert section in english.text
    assert 'href="/en/console/messages"' in english.text


def test_an_unknown_reference_is_not_found(dpo: WebClient) -> None:
    assert dpo.get("/console/requests/DSR-NOSUCHTHING").status_code == 404


# -- decisions ---------------------------------------------------------------------------------


def test_extending_shows_the_new_due_date_and_tells_the_person(site: Site, dpo: WebClient) -> None:
    reference = site.references["extend"]
    page = f"/console/requests/{reference}"
    assert 'action="' + page + '/extend"' in dpo.get(page).text

    empty = dpo.post_form(f"{page}/extend", {"reason": "   "}, form_page=page)
    # The message is under the field, tied to it, and the summary links to it.
    assert empty.status_code == 400 and 'id="extend-reason-error"' in empty.text
    assert 'aria-describedby="extend-reason-error"' in empty.text
    assert '<a href="#extend-reason">' in empty.text
    assert _request_row(site.engine, reference).status == "open"

    answer = dpo.post_form(
        f"{page}/extend", {"reason": "Nous rassemblons des archives papier."}, form_page=page
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"{page}?done=decided"
    shown = dpo.get(page).text
    assert "17/08/2026" in shown and "Nous rassemblons des archives papier." in shown
    assert f'action="{page}/extend"' not in shown  # only once
    with site.engine.connect() as connection:
        [mail] = connection.execute(
            select(outbox_message).where(outbox_message.c.kind == "request_extended")
        ).all()
    assert mail.dedupe_key == f"request_extended:{reference}"
    assert mail.recipient == "dana.delai@example.org" and "17/08/2026" in mail.body
    # The e-mail links the request's page, as an absolute address.
    assert re.search(r"^http://\S+/requests/status/\S+$", mail.body, re.MULTILINE)
    _audited_by_dpo(site, "request.extended", reference)

    again = dpo.post_form(f"{page}/extend", {"reason": "Encore."}, form_page=page)
    assert again.status_code == 409


def test_completing_closes_the_request(site: Site, dpo: WebClient) -> None:
    reference = site.references["complete"]
    page = f"/en/console/requests/{reference}"
    answer = dpo.post_form(
        f"{page}/complete", {"note": "Copy of the data sent on 1 June."}, form_page=page
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"{page}?done=decided"
    row = _request_row(site.engine, reference)
    assert row.status == "completed" and row.outcome == {"note": "Copy of the data sent on 1 June."}
    shown = dpo.get(page).text
    assert "Completed" in shown and "/complete" not in shown
    _audited_by_dpo(site, "request.completed", reference)


def test_carrying_out_an_erasure_removes_the_person_and_says_what_was_kept(
    site: Site, dpo: WebClient
) -> None:
    reference = site.references["erase"]
    page = f"/console/requests/{reference}"
    # The request page leads to the check page, whose button erases; nothing before it.
    assert f'href="{page}/erase"' in dpo.get(page).text
    check = dpo.get(f"{page}/erase").text
    assert f'action="{page}/erase"' in check and INVOICE in check
    assert _count(site.engine, contact_message, contact_message.c.email == ERASED) == 1

    answer = dpo.post_form(f"{page}/erase", {}, form_page=f"{page}/erase")

    assert answer.status_code == 303
    assert _count(site.engine, contact_message, contact_message.c.email == ERASED) == 0
    assert (
        _count(site.engine, newsletter_subscription, newsletter_subscription.c.email == ERASED) == 0
    )
    assert _count(site.engine, invoice, invoice.c.number == INVOICE) == 1
    row = _request_row(site.engine, reference)
    assert row.status == "completed"
    assert [kept["key"] for kept in row.outcome["kept"]] == [INVOICE]
    assert row.outcome["erased"] == {"contact_message": 1, "newsletter_subscription": 1}
    shown = dpo.get(page).text
    assert INVOICE in shown and f'href="{page}/erase"' not in shown
    # The person is told what went and what stays, with their request's page.
    with site.engine.connect() as connection:
        [mail] = connection.execute(
            select(outbox_message).where(outbox_message.c.kind == "erasure_done")
        ).all()
    assert mail.recipient == ERASED and INVOICE in mail.body and "/requests/status/" in mail.body
    _audited_by_dpo(site, "subject.erased")
    _audited_by_dpo(site, "request.completed", reference)


def test_a_form_without_its_csrf_token_changes_nothing(site: Site, dpo: WebClient) -> None:
    reference = site.references["csrf"]
    page = f"/console/requests/{reference}"
    before = _request_row(site.engine, reference)
    entries = _count(site.engine, audit_entry)
    for action, data in (
        ("extend", {"reason": "Sans jeton."}),
        ("complete", {"note": "Sans jeton."}),
        ("refuse", {"reason": "Sans jeton."}),
        ("erase", {}),
    ):
        assert dpo.client.post(f"{page}/{action}", data=data).status_code == 403
        forged = {**data, "csrf": "0" * 64}
        assert dpo.client.post(f"{page}/{action}", data=forged).status_code == 403
    assert _request_row(site.engine, reference) == before
    assert _count(site.engine, audit_entry) == entries
    # The real token does work: the refusal was the token's.
    assert csrf_of(dpo.get(page).text)


def test_reading_the_messages_is_audited(site: Site, dpo: WebClient) -> None:
    before = len(_entries(site.engine, "console.messages_viewed"))
    answer = dpo.get("/en/console/messages")
    assert answer.status_code == 200
    viewed = _entries(site.engine, "console.messages_viewed")
    assert len(viewed) == before + 1
    assert set(viewed[-1].details) == {"count"}
    _audited_by_dpo(site, "console.messages_viewed")

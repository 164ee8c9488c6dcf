"""Requests filed as people file them, answered from the console: an objection, an extension.

Two people without an account file their request on ``/requests`` in Chromium (JavaScript
off), follow the link of the verification e-mail read from a real SMTP server (aiosmtpd) and
file it. The DPO then carries out the objection and extends the other request from the
console; each person receives an e-mail that links their request's page, and that page says
what happened.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from gardien.domain.totp import totp
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import newsletter_subscription, subject_request
from tests.support.browser import chromium
from tests.support.mailbox import link, mail_to, send_outbox
from tests.support.server import free_port, running_server
from tests.support.smtp import smtp_server
from tests.support.web import PASSWORD, TOTP_SECRET, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
DPO = "dora.dpo@example.org"
OBJECTOR = "odile.opposee@example.org"
ASKER = "arthur.acces@example.org"
SECRET = "test-secret-for-filed-requests-0123456789"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[dict[str, Any]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('filed') / 'filed.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    make_account(engine, email=DPO, role="dpo", created_at=NOW, secret_key=SECRET)
    port = free_port()
    with smtp_server() as smtp:
        env = {
            "GARDIEN_DATABASE_URL": url,
            "GARDIEN_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "GARDIEN_SMTP_PORT": str(smtp.port),
            "GARDIEN_SECRET_KEY": SECRET,
            "GARDIEN_NOW": NOW.isoformat(),
        }
        with running_server(env, port=port) as base:
            yield {"base": base, "env": env, "engine": engine, "smtp": smtp, "browser": browser}
    engine.dispose()


def _file(site: dict[str, Any], email: str, kind: str) -> str:
    """As the person: the form, the verification e-mail, the link; the request's reference."""
    context = site["browser"].new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{site['base']}/requests")
    page.get_by_label("Votre adresse électronique").fill(email)
    page.get_by_label(kind).check()
    page.get_by_role("button", name="M'envoyer le lien").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    send_outbox(site["env"])
    _subject, body = mail_to(site["smtp"], email, "Confirmez votre demande")
    page.goto(link(body, "/requests/verify"))
    page.get_by_label("L'adresse électronique à laquelle ce lien a été envoyé").fill(email)
    page.get_by_role("button", name="Déposer ma demande").click()
    # The answer is the request's own page, with its reference.
    expect(page.locator("h1 .nowrap")).to_be_visible()
    reference = str(page.locator("h1 .nowrap").inner_text())
    context.close()
    return reference


def _dpo_page(site: dict[str, Any]) -> Page:
    context = site["browser"].new_context(java_script_enabled=False, locale="fr-FR")
    page: Page = context.new_page()
    page.goto(f"{site['base']}/account/sign-in")
    page.get_by_label("Votre adresse électronique").fill(DPO)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code").fill(totp(TOTP_SECRET, NOW))
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_url(f"{site['base']}/console")
    return page


def _status(site: dict[str, Any], reference: str) -> str:
    with site["engine"].connect() as connection:
        found: str = connection.execute(
            select(subject_request.c.status).where(subject_request.c.reference == reference)
        ).scalar_one()
    return found


def test_an_objection_and_an_extension_filed_by_link_are_answered_from_the_console(
    site: dict[str, Any],
) -> None:
    with site["engine"].begin() as connection:  # the objector reads the newsletter
        connection.execute(
            newsletter_subscription.insert().values(
                email=OBJECTOR,
                status="confirmed",
                consent_at=NOW,
                consent_source="/newsletter",
                consent_wording="J'accepte de recevoir la lettre d'information.",
                consent_notice_version="test",
                created_at=NOW,
                confirmed_at=NOW,
            )
        )
    objection = _file(site, OBJECTOR, "Opposition à la prospection commerciale")
    access = _file(site, ASKER, "Accès à mes données")
    assert _status(site, objection) == _status(site, access) == "open"

    page = _dpo_page(site)
    # The objection: from the dashboard's link to the request, then its button.
    page.get_by_role("link", name=objection).click()
    page.get_by_role("button", name="Appliquer l'opposition").click()
    expect(page.get_by_role("status")).to_be_visible()
    assert _status(site, objection) == "completed"
    with site["engine"].connect() as connection:
        assert (
            connection.execute(
                select(newsletter_subscription).where(newsletter_subscription.c.email == OBJECTOR)
            ).first()
            is None
        )
    # The extension: a reason the person is told.
    page.goto(f"{site['base']}/console/requests/{access}")
    page.get_by_label("Motif de la prolongation").fill(
        "Vos données sont réparties entre plusieurs plateformes."
    )
    page.get_by_role("button", name="Prolonger de deux mois").click()
    expect(page.get_by_role("status")).to_be_visible()
    assert _status(site, access) == "extended"
    page.context.close()

    send_outbox(site["env"])
    _subject, told = mail_to(site["smtp"], OBJECTOR, objection)
    _subject, extended = mail_to(site["smtp"], ASKER, "un délai supplémentaire")
    assert "Vos données sont réparties entre plusieurs plateformes." in extended
    # Each e-mail links the request's page, which says what happened.
    for body, heading in ((told, "Traitée"), (extended, "délai prolongé")):
        person = site["browser"].new_context(java_script_enabled=False, locale="fr-FR")
        follow = person.new_page()
        follow.goto(link(body, "/requests/status"))
        assert heading in follow.locator("main").inner_text()
        person.close()

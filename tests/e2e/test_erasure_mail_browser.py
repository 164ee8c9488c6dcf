"""The e-mail after an erasure says what the page says, in a real browser and a real mailbox.

A learner erases their data from « Mes données » (Debian's Chromium, JavaScript off), reads the
page of what the law keeps, why and until when; the outbox sender then delivers the e-mail to a
real SMTP server on loopback (aiosmtpd), and every kept record of the page, its reason and its
date, is in the e-mail, in the page's language. Neither the server nor the sender logs the
address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import learner, outbox_message
from tests.support.browser import chromium
from tests.support.mailbox import send_outbox
from tests.support.retention_samples import default_policy, document, invoice_doc, load
from tests.support.server import free_port, running_server
from tests.support.smtp import smtp_server
from tests.support.transmission_samples import load_contracts
from tests.support.web import PASSWORD, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
BOB = "bob.opco@example.org"  # OPCO-funded: the dossier's evidence outlives the erasure
INVOICE = "F-BOB-1"  # billed to him: the accounting duty keeps it too


@dataclass(frozen=True)
class Words:
    """What a person reads and clicks in one language."""

    prefix: str
    email: str
    password: str
    sign_in: str
    confirm_password: str
    understand: str
    erase: str
    erased: str
    hello: str
    day: str  # how a date is written
    # The days each record is kept until: the dossier 72 months after the training's end
    # (30/06/2026), the invoice 120 months after its financial year's close (31/12/2025).
    until: tuple[str, str]


FRENCH = Words(
    prefix="",
    email="Votre adresse électronique",
    password="Mot de passe",
    sign_in="Se connecter",
    confirm_password="Votre mot de passe, pour confirmer",
    understand="Je comprends que c'est irréversible.",
    erase="Effacer mes données",
    erased="Vos données sont effacées",
    hello="Bonjour,",
    day=r"\d\d/\d\d/\d{4}",
    until=("30/06/2032", "31/12/2035"),
)
ENGLISH = Words(
    prefix="/en",
    email="Your e-mail address",
    password="Password",
    sign_in="Sign in",
    confirm_password="Your password, to confirm",
    understand="I understand that this cannot be undone.",
    erase="Erase my data",
    erased="Your data is erased",
    hello="Hello,",
    day=r"\d{1,2} [A-Z][a-z]+ \d{4}",
    until=("30 June 2032", "31 December 2035"),
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def erase_in_browser(browser: Browser, base: str, words: Words) -> tuple[str, list[str]]:
    """Sign in, erase from « Mes données »; the request's reference and each kept record's
    text as the result page shows it."""
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page: Page = context.new_page()
    page.goto(f"{base}{words.prefix}/account/sign-in")
    page.get_by_label(words.email).fill(BOB)
    page.get_by_label(words.password, exact=True).fill(PASSWORD)
    page.get_by_role("button", name=words.sign_in).click()
    page.wait_for_url(f"{base}{words.prefix}/my-data")
    page.get_by_label(words.confirm_password).fill(PASSWORD)
    page.get_by_label(words.understand).check()
    page.get_by_role("button", name=words.erase).click()
    expect(page.get_by_role("heading", name=words.erased, level=1)).to_be_visible()
    reference = re.search(r"DSR-[A-Z0-9]{10}", page.locator("main").inner_text())
    assert reference is not None
    kept = [item.inner_text() for item in page.locator("ul.kept li").all()]
    context.close()
    return reference.group(0), kept


@pytest.mark.parametrize("words", [FRENCH, ENGLISH], ids=["fr", "en"])
def test_the_erasure_email_lists_what_the_page_lists(
    browser: Browser, tmp_path: Path, words: Words
) -> None:
    lang = "en" if words is ENGLISH else "fr"
    url = f"sqlite:///{tmp_path / 'erase.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_contracts(engine)
    load(
        engine,
        document(invoices=[invoice_doc(INVOICE, "2025-11-15", name="Bob Opcaud", email=BOB)]),
    )
    with engine.connect() as connection:
        bob = connection.execute(select(learner.c.id).where(learner.c.email == BOB)).scalar_one()
    make_account(engine, email=BOB, role="learner", learner_id=bob, created_at=NOW)
    port = free_port()
    server_log = tmp_path / "server.log"
    try:
        with smtp_server() as smtp:
            env = {
                "GARDIEN_DATABASE_URL": url,
                "GARDIEN_NOW": NOW.isoformat(),
                "GARDIEN_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "GARDIEN_SMTP_PORT": str(smtp.port),
            }
            with running_server(env, port=port, log=server_log) as base:
                reference, kept = erase_in_browser(browser, base, words)
            # The erasure queued the e-mail: nothing is sent before the sender runs.
            assert smtp.messages == []
            sender_said = send_outbox(env)

            assert smtp.per_recipient() == {BOB: 1}  # one e-mail, not a second "answered"
            [message] = smtp.messages
            body = message.get_body(("plain",)).get_content()
            assert message["To"] == BOB
            assert reference in message["Subject"]
            assert body.startswith(words.hello)
            assert reference in body

            # Every record the page listed, line by line (what, why, until when), is in the
            # e-mail, in the same words.
            policy = default_policy()
            holds = [policy.retention[rule].hold for rule in ("opco_dossiers", "invoices")]
            reasons = [hold.reason.in_(lang) for hold in holds if hold is not None]
            assert len(kept) == 2
            for shown in kept:
                for line in filter(None, (part.strip() for part in shown.splitlines())):
                    assert line in body, line
                days = re.findall(words.day, shown)
                assert days and all(day in body for day in days)
            for reason, until in zip(reasons, words.until, strict=True):
                [shown] = [item for item in kept if reason in item]  # the policy's own reason
                assert until in shown
                assert reason in body and until in body
            assert "OPCO-AG-1" in body and INVOICE in body
            # No code names reach the person.
            assert "legal_obligation" not in body and "opco_dossier" not in body

        with engine.connect() as connection:
            assert connection.execute(select(learner).where(learner.c.email == BOB)).first() is None
            row = connection.execute(select(outbox_message)).one()
            # Sent; it belongs to no learner (the learner is gone) and goes with the outbox rule.
            assert row.kind == "erasure_done" and row.learner_id is None
            assert row.sent_at is not None
        # No personal data in the logs: the server's and the sender's say nothing of the address.
        logged = server_log.read_text(encoding="utf-8")
        assert logged  # the server did write (its start-up lines at least)
        assert BOB not in logged and BOB not in sender_said
        assert "outbox: 1 sent" in sender_said  # the sender's summary, read above
    finally:
        engine.dispose()

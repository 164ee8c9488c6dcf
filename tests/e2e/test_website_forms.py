"""The website's forms over real HTTP: French and English pages from the catalogues, valid HTML
without script, the notice linked from every form, clear errors that lose nothing the person
typed, the honeypot, the rate limits, and the pages for links that are not ours."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from xml.etree.ElementTree import Element

import html5lib
import httpx
import pytest
from sqlalchemy import func, select

from gardien.services.website.tokens import Purpose, make_token
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import contact_message, newsletter_subscription, outbox_message
from tests.support.server import running_server
from tests.support.web import form_post

pytestmark = pytest.mark.e2e
NS = "{http://www.w3.org/1999/xhtml}"
SECRET = "forms-test-secret"
FORMS = {
    "/newsletter": ("fr", "Inscrivez-vous à notre lettre d'information", "/confidentialite"),
    "/en/newsletter": ("en", "Subscribe to our newsletter", "/privacy"),
    "/contact": ("fr", "Nous contacter", "/confidentialite"),
    "/en/contact": ("en", "Contact us", "/privacy"),
}


class Served:
    def __init__(self, base: str, url: str) -> None:
        self.base = base
        self.url = url

    def count(self, table: object) -> int:
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]
        finally:
            engine.dispose()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    url = f"sqlite:///{tmp_path / 'forms.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with running_server({"GARDIEN_DATABASE_URL": url, "GARDIEN_SECRET_KEY": SECRET}) as base:
        yield Served(base, url)


def parse(text: str) -> Element:
    tree: Element = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True).parse(text)
    return tree


def test_every_form_page_is_valid_translated_and_links_the_notice(served: Served) -> None:
    for path, (lang, heading, notice) in FORMS.items():
        page = httpx.get(f"{served.base}{path}")
        assert page.status_code == 200
        tree = parse(page.text)
        assert tree.get("lang") == lang
        assert tree.find(f".//{NS}script") is None
        assert not [e for e in tree.iter() if any(a.startswith("on") for a in e.attrib)]
        assert heading in page.text
        links = {a.get("href") for a in tree.iter(f"{NS}a")}
        assert notice in links
        # The honeypot is there, out of sight, never required.
        trap = [i for i in tree.iter(f"{NS}input") if i.get("name") == "website"]
        assert len(trap) == 1 and "required" not in trap[0].attrib
    checkbox = [
        i
        for i in parse(httpx.get(f"{served.base}/newsletter").text).iter(f"{NS}input")
        if i.get("type") == "checkbox"
    ]
    assert len(checkbox) == 1 and "checked" not in checkbox[0].attrib  # not pre-ticked


def test_the_newsletter_form_refuses_clearly_and_keeps_what_was_typed(served: Served) -> None:
    no_consent = form_post(f"{served.base}/newsletter", {"email": "ana@example.org"})
    assert no_consent.status_code == 400
    assert "Cochez la case" in no_consent.text and 'value="ana@example.org"' in no_consent.text
    bad = form_post(f"{served.base}/en/newsletter", {"email": "ana@", "consent": "yes"})
    assert bad.status_code == 400
    assert "This e-mail address is not valid." in bad.text
    trapped = form_post(
        f"{served.base}/newsletter",
        {"email": "robot@example.org", "consent": "yes", "website": "http://spam.example"},
    )
    assert trapped.status_code == 200  # a robot learns nothing
    assert served.count(newsletter_subscription) == 0
    assert served.count(outbox_message) == 0


def test_one_address_cannot_be_flooded_with_confirmations(served: Served) -> None:
    for _ in range(3):
        ok = form_post(f"{served.base}/newsletter", {"email": "ana@example.org", "consent": "yes"})
        assert ok.status_code == 200
    refused = form_post(f"{served.base}/newsletter", {"email": "ANA@example.org", "consent": "yes"})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "Trop de tentatives" in refused.text
    assert served.count(outbox_message) == 3


def test_the_contact_form_stores_a_message_and_refuses_robots_and_floods(served: Served) -> None:
    message = {
        "name": "Ana Martin",
        "email": "ana@example.org",
        "message": "Bonjour, une question.",
    }
    sent = form_post(f"{served.base}/contact", message)
    assert sent.status_code == 200 and "Message envoyé" in sent.text
    missing = form_post(f"{served.base}/en/contact", {**message, "message": "  "})
    assert missing.status_code == 400
    assert "Please write a message" in missing.text and "Ana Martin" in missing.text
    robot = form_post(f"{served.base}/contact", {**message, "website": "x"})
    assert robot.status_code == 200
    assert served.count(contact_message) == 1
    # Per client: ten messages in ten minutes (from many addresses), then 429.
    statuses = [
        form_post(f"{served.base}/contact", {**message, "email": f"n{n}@example.org"}).status_code
        for n in range(10)
    ]
    assert statuses.count(429) >= 1 and statuses[0] == 200
    assert served.count(contact_message) == 1 + statuses.count(200)


def test_links_that_are_not_ours_get_a_clear_page_and_change_nothing(served: Served) -> None:
    ok = form_post(f"{served.base}/newsletter", {"email": "ana@example.org", "consent": "yes"})
    assert ok.status_code == 200
    forged = make_token("guessed", Purpose.UNSUBSCRIBE, subscription_id=1, email="ana@example.org")
    cross = make_token(SECRET, Purpose.CONFIRM, subscription_id=1, email="bob@example.org")
    expired = make_token(
        SECRET,
        Purpose.CONFIRM,
        subscription_id=1,
        email="ana@example.org",
        valid_until=date(2020, 1, 1),
    )
    cases = [
        ("/newsletter/unsubscribe/" + forged, "Ce lien n'est pas valide"),
        ("/en/newsletter/confirm/" + cross, "This link is not valid"),
        ("/newsletter/confirm/" + expired, "Ce lien a expiré"),
        ("/newsletter/confirm/nonsense", "Ce lien n'est pas valide"),
    ]
    for path, says in cases:
        # A confirmation comes from our page's form (CSRF token); an unsubscription takes a
        # bare POST (RFC 8058): each is sent the way it is meant to be.
        if "/confirm/" in path:
            answer = form_post(f"{served.base}{path}")
        else:
            answer = httpx.post(f"{served.base}{path}")
        assert answer.status_code == 400, path
        assert says in html.unescape(answer.text)
        parse(answer.text)
    engine = make_engine(served.url)
    try:
        with engine.connect() as connection:
            assert connection.execute(select(newsletter_subscription.c.status)).scalars().all() == [
                "pending"
            ]
    finally:
        engine.dispose()

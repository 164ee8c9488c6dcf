"""The public forms' errors over real HTTP: every error of a submission at once, each tied to
its field (aria-describedby), a summary at the top linking to the fields, nothing typed lost;
every input labelled, required fields said in words; and, in Chromium at 390 px, no page
wider than the screen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

import html5lib
import httpx
import pytest
from sqlalchemy import Engine, select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import contact_message, outbox_message, subject_request
from tests.support.browser import chromium
from tests.support.server import running_server
from tests.support.web import csrf_of, form_post

pytestmark = pytest.mark.e2e
NS = "{http://www.w3.org/1999/xhtml}"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('form-errors') / 'forms.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    with running_server({"GARDIEN_DATABASE_URL": url}) as base:
        yield base, engine
    engine.dispose()


def parse(text: str) -> Element:
    tree: Element = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True).parse(text)
    return tree


def by_id(tree: Element, ident: str) -> Element:
    found = [e for e in tree.iter() if e.get("id") == ident]
    assert len(found) == 1, f"{len(found)} elements with id {ident!r}"
    return found[0]


def text_of(element: Element) -> str:
    return " ".join("".join(element.itertext()).split())


def summary_links(tree: Element) -> dict[str, str]:
    """The error summary's links: target id → the message."""
    [summary] = [d for d in tree.iter(f"{NS}div") if "error-summary" in (d.get("class") or "")]
    assert summary.get("role") == "alert"
    return {(a.get("href") or "")[1:]: text_of(a) for a in summary.iter(f"{NS}a")}


def assert_tied(tree: Element, field: str, says: str) -> None:
    """``field``'s input is invalid and described by its own message, which says ``says``."""
    control = by_id(tree, field)
    message = by_id(tree, f"{field}-error")
    assert message.tag == f"{NS}p" and "field-error" in (message.get("class") or "")
    assert says in text_of(message)
    assert control.get("aria-invalid") == "true"
    assert f"{field}-error" in (control.get("aria-describedby") or "").split()


def assert_untouched(tree: Element, field: str) -> None:
    control = by_id(tree, field)
    assert control.get("aria-invalid") is None
    assert f"{field}-error" not in (control.get("aria-describedby") or "")
    assert not [e for e in tree.iter() if e.get("id") == f"{field}-error"]


def assert_labelled(tree: Element) -> None:
    """Every control a person fills in has a label; each required one says so in words."""
    labels = {label.get("for"): text_of(label) for label in tree.iter(f"{NS}label")}
    controls = [
        e
        for e in tree.iter()
        if e.tag in (f"{NS}input", f"{NS}textarea") and e.get("type") not in ("hidden", "radio")
    ]
    assert controls
    for control in controls:
        assert control.get("id") in labels, control.get("name")
        if "required" in control.attrib:
            assert re.search(r"\((obligatoire|required)\)", labels[control.get("id")])


def test_the_contact_form_shows_every_error_at_once_tied_to_its_field(
    served: tuple[str, Engine],
) -> None:
    base, engine = served
    page = parse(httpx.get(f"{base}/contact").text)
    assert_labelled(page)
    assert by_id(page, "name").get("autocomplete") == "name"
    assert by_id(page, "email").get("autocomplete") == "email"
    assert not [d for d in page.iter(f"{NS}div") if "error-summary" in (d.get("class") or "")]

    typed = {"name": "   ", "email": "ana.martin@", "message": "Bonjour, une question."}
    answer = form_post(f"{base}/contact", typed)
    assert answer.status_code == 400
    tree = parse(answer.text)
    assert_tied(tree, "name", "Veuillez indiquer votre nom")
    assert_tied(tree, "email", "Cette adresse électronique n'est pas valide.")
    assert_untouched(tree, "message")
    links = summary_links(tree)
    assert list(links) == ["name", "email"]  # in the form's order
    assert "Veuillez indiquer votre nom" in links["name"]
    assert "n'est pas valide" in links["email"]
    # What the person typed is all still there.
    assert by_id(tree, "email").get("value") == "ana.martin@"
    assert text_of(by_id(tree, "message")) == "Bonjour, une question."
    assert text_of(tree.find(f".//{NS}title")).startswith("Erreur :")  # type: ignore[arg-type]

    # In English, the other two fields wrong: their messages, the first one's value kept.
    english = form_post(
        f"{base}/en/contact", {"name": "Ana Martin", "email": "", "message": "x" * 5001}
    )
    tree = parse(english.text)
    assert list(summary_links(tree)) == ["email", "message"]
    assert_tied(tree, "email", "Enter your e-mail address.")
    assert_tied(tree, "message", "Please write a message")
    assert_untouched(tree, "name")
    assert by_id(tree, "name").get("value") == "Ana Martin"
    # The message hint stays referenced next to the error.
    assert by_id(tree, "message").get("aria-describedby") == "message-hint message-error"
    with engine.connect() as connection:
        assert connection.execute(select(contact_message.c.id)).all() == []


def test_the_newsletter_form_shows_both_errors(served: tuple[str, Engine]) -> None:
    base, _ = served
    assert_labelled(parse(httpx.get(f"{base}/en/newsletter").text))
    answer = form_post(f"{base}/newsletter", {"email": "ana@@example.org"})
    assert answer.status_code == 400
    tree = parse(answer.text)
    assert list(summary_links(tree)) == ["email", "consent"]
    assert_tied(tree, "email", "n'est pas valide")
    assert_tied(tree, "consent", "Cochez la case")
    assert by_id(tree, "email").get("value") == "ana@@example.org"


def test_the_request_form_explains_each_right_and_shows_both_errors(
    served: tuple[str, Engine],
) -> None:
    base, engine = served
    page = httpx.get(f"{base}/requests")
    tree = parse(page.text)
    assert_labelled(tree)
    words = text_of(tree)
    for said in ("Nous supprimons vos données", "dans un délai d'un mois", "24 heures"):
        assert said in words
    radios = [i for i in tree.iter(f"{NS}input") if i.get("type") == "radio"]
    assert len(radios) == 5
    for radio in radios:
        hint = by_id(tree, radio.get("aria-describedby") or "")
        assert len(text_of(hint)) > 40  # a sentence, not a label again

    answer = form_post(f"{base}/en/requests", {"email": "visitor at example.org"})
    assert answer.status_code == 400
    tree = parse(answer.text)
    links = summary_links(tree)
    assert list(links) == ["email", "kind-access"]  # the group's link goes to its first choice
    by_id(tree, "kind-access")
    assert_tied(tree, "email", "This e-mail address is not valid.")
    assert by_id(tree, "email").get("value") == "visitor at example.org"
    [group] = tree.iter(f"{NS}fieldset")
    assert group.get("aria-describedby") == "kind-error"
    assert "Choose what you ask for." in text_of(by_id(tree, "kind-error"))
    assert all(r.get("aria-invalid") == "true" for r in group.iter(f"{NS}input"))

    # A choice made is kept when only the address is wrong.
    kept = form_post(f"{base}/requests", {"email": "", "kind": "erasure"})
    tree = parse(kept.text)
    assert list(summary_links(tree)) == ["email"]
    assert "checked" in by_id(tree, "kind-erasure").attrib
    with engine.connect() as connection:
        assert connection.execute(select(outbox_message.c.id)).all() == []


def test_the_verify_page_keeps_the_text_and_the_status_page_speaks_in_words(
    served: tuple[str, Engine],
) -> None:
    base, engine = served
    visitor = "visiteur.erreurs@example.org"
    sent = form_post(f"{base}/requests", {"email": visitor, "kind": "rectification"})
    assert sent.status_code == 200
    with engine.connect() as connection:
        body = connection.execute(select(outbox_message.c.body)).scalars().all()[-1]
    found = re.search(r"https?://[^/\s]+(/requests/verify/\S+)", body)
    assert found, "no verification link in the e-mail"
    with httpx.Client(base_url=base, timeout=30.0) as client:
        page = client.get(found.group(1)).text
        details = "Mon nom de famille s'écrit Dupont-Moreau. " * 130  # over 5,000 characters
        wrong = client.post(
            found.group(1),
            data={"email": "autre@example.org", "details": details, "csrf": csrf_of(page)},
        )
        assert wrong.status_code == 400
        tree = parse(wrong.text)
        assert list(summary_links(tree)) == ["email", "details"]
        assert_tied(tree, "email", "Saisissez l'adresse à laquelle ce lien a été envoyé.")
        assert_tied(tree, "details", "5 000 caractères au plus")
        assert text_of(by_id(tree, "details")) == " ".join(details.split())
        assert by_id(tree, "email").get("value") == "autre@example.org"

        filed = client.post(
            found.group(1),
            data={"email": visitor, "details": "Dupont-Moreau", "csrf": csrf_of(page)},
        )
    assert filed.status_code == 200
    words = text_of(parse(filed.text))
    with engine.connect() as connection:
        received, due = connection.execute(
            select(subject_request.c.received_at, subject_request.c.due_on)
        ).one()
    assert f"{due:%d/%m/%Y}" in words  # the table: as people write a date in French
    assert "Nous vous répondrons au plus tard le" in words  # and in a sentence
    assert str(due.year) in words and "En cours" in words
    assert "_" not in words.replace("Dupont-Moreau", "")  # no internal name shows
    assert received is not None


@pytest.mark.parametrize("path", ["/contact", "/en/contact", "/requests", "/en/requests"])
def test_the_forms_fit_a_phone_with_their_errors(
    served: tuple[str, Engine], path: str, tmp_path: Path
) -> None:
    base, _ = served
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE)
        page.goto(f"{base}{path}")
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], widths
        # Submitted empty (no browser check: the form says novalidate): the server's errors.
        page.locator("main button[type=submit]").click()
        page.wait_for_selector(".error-summary")
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], widths
        # The summary's first link takes the person to the field.
        page.locator(".error-summary a").first.click()
        focused = page.evaluate("document.activeElement.id")
        assert focused in ("name", "email")
        page.close()

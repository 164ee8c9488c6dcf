"""The sponsor space over real HTTP: a contact signed in through the form sees only their
sponsor's contracts, and of a contract's learners only what the policy allows."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import disclosure
from tests.support.server import running_server
from tests.support.sponsor_samples import OWN, load_sponsor_space
from tests.support.transmission_samples import LEARNERS, email
from tests.support.web import WebClient

pytestmark = pytest.mark.e2e
CONTACT = "claire.rh@example.org"


@dataclass(frozen=True)
class Site:
    base: str
    url: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('sponsor') / 'sponsor.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_sponsor_space(engine)
    engine.dispose()
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": "2026-06-01T10:00:00Z"}
    with running_server(env) as base:
        yield Site(base, url)


@pytest.fixture(scope="module")
def contact(site: Site) -> Iterator[WebClient]:
    client = WebClient.open(site.base)
    client.sign_in(CONTACT)
    yield client
    client.close()


def disclosures(site: Site) -> int:
    engine = make_engine(site.url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(disclosure)).scalar())
    finally:
        engine.dispose()


def test_the_list_shows_only_the_sponsors_own_contracts(site: Site, contact: WebClient) -> None:
    before = disclosures(site)
    for path, lang in (("/sponsor", "fr"), ("/en/sponsor", "en")):
        answer = contact.get(path)
        assert answer.status_code == 200
        page = html.unescape(answer.text)
        assert "Menuiserie Fictive SAS" in page
        for reference in OWN["SP-EMP"]:
            assert f"/sponsor/contracts/{reference}" in page
        for reference in ("C-SCH", "C-CPF", "C-WEB"):
            assert reference not in page
        assert f'<html lang="{lang}">' in page
        assert ("01/09/2025" if lang == "fr" else "1 September 2025") in page
    assert disclosures(site) == before, "a list of contracts is not a transmission"


def test_a_contract_page_shows_allowed_values_only(site: Site, contact: WebClient) -> None:
    before = disclosures(site)
    answer = contact.get("/sponsor/contracts/C-EMP")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    page = html.unescape(answer.text)
    for name in ("chloe", "dan"):
        address, given, family = LEARNERS[name]
        assert given in page and family in page and address in page
    assert "Se présenter" in page, "the learning path goes with its modules"
    assert "30/06/2026" in page
    # Other learners of the organisation, of this sponsor's other contracts or of others.
    for name in ("ana", "bob", "eve", "fay"):
        assert email(name) not in page and LEARNERS[name][2] not in page
    assert disclosures(site) == before + 1, "the view is logged as a transmission"
    english = contact.get("/en/sponsor/contracts/C-EMP")
    assert english.status_code == 200 and "Learning path" in english.text
    assert disclosures(site) == before + 2


def test_a_contract_without_a_sponsor_recipient_shows_the_summary_only(
    site: Site, contact: WebClient
) -> None:
    before = disclosures(site)
    for reference, learner in (("C-OPCO", "bob"), ("C-EMP-CPF", "ana"), ("C-EMP-WEB", "fay")):
        answer = contact.get(f"/en/sponsor/contracts/{reference}")
        assert answer.status_code == 200
        address, given, family = LEARNERS[learner]
        assert given not in answer.text and family not in answer.text
        assert address not in answer.text
    assert "Contract paid online: no data is transmitted to third parties." in html.unescape(
        answer.text
    )
    assert disclosures(site) == before


def test_another_sponsors_contract_is_not_found(site: Site, contact: WebClient) -> None:
    before = disclosures(site)
    foreign = contact.get("/sponsor/contracts/C-SCH")
    unknown = contact.get("/sponsor/contracts/C-NONE")
    assert foreign.status_code == unknown.status_code == 404
    assert LEARNERS["eve"][1] not in foreign.text
    assert foreign.text == unknown.text, "the same answer: nothing tells the two apart"
    assert disclosures(site) == before


def test_a_learner_is_refused_and_a_visitor_sent_to_sign_in(site: Site) -> None:
    learner = WebClient.open(site.base)
    try:
        learner.sign_in(email("chloe"))
        for path in ("/sponsor", "/sponsor/contracts/C-EMP"):
            assert learner.get(path).status_code == 403
    finally:
        learner.close()
    visitor = WebClient.open(site.base)
    try:
        for path, target in (
            ("/sponsor", "/account/sign-in"),
            ("/en/sponsor", "/en/account/sign-in"),
        ):
            answer = visitor.get(path)
            assert answer.status_code == 303
            assert answer.headers["location"] == target
    finally:
        visitor.close()

"""The sponsor space in plain words, over real HTTP with a sponsor's contact signed in: the
CSV of a contract holds only what the policy lets the sponsor see for its funding type, under
labelled columns in the page's language, and is logged as opening the page is; in Chromium at
390 px the pages fit the screen and show no field name, JSON or IRI."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import Table, func, select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import audit_entry, disclosure
from tests.support.browser import chromium
from tests.support.server import running_server
from tests.support.sponsor_samples import load_sponsor_space
from tests.support.transmission_samples import LEARNERS
from tests.support.web import PASSWORD, WebClient

pytestmark = pytest.mark.e2e
CONTACT = "claire.rh@example.org"
SHOTS = Path("/work/shots/e")
BOM = b"\xef\xbb\xbf"
CONTRACT_FR = ["Contrat", "Financement", "Début", "Fin"]
CONTRACT_EN = ["Contract", "Funding", "Start", "End"]
LEARNER_FR = ["Prénom", "Nom", "Adresse électronique"]
PATH_FR = ["Parcours", "Statut du parcours", "Module", "Statut du module", "Score"]
# What a person must never read: a column name (table.column or snake_case), JSON, an IRI.
RAW = re.compile(
    r"\b[a-z]+_[a-z_]+\b|\b(learner|contract|enrolment|module_progress)\.[a-z]|[{}]|://"
)


@dataclass(frozen=True)
class Site:
    base: str
    url: str
    contact_id: int


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('sponsor-words') / 'sponsor.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    space = load_sponsor_space(engine)
    engine.dispose()
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": "2026-06-01T10:00:00Z"}
    # Generous start-up time: the machine running the tests may be busy.
    with running_server(env, timeout=120) as base:
        yield Site(base, url, space.contacts["SP-EMP"])


@pytest.fixture(scope="module")
def contact(site: Site) -> Iterator[WebClient]:
    client = WebClient.open(site.base)
    client.sign_in(CONTACT)
    yield client
    client.close()


def _count(site: Site, table: Table) -> int:
    engine = make_engine(site.url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(table)).scalar())
    finally:
        engine.dispose()


def _table(body: bytes, delimiter: str) -> list[list[str]]:
    assert body.startswith(BOM), "UTF-8 with a byte order mark, for spreadsheets"
    return list(csv.reader(io.StringIO(body[len(BOM) :].decode("utf-8")), delimiter=delimiter))


def _download(contact: WebClient, path: str, delimiter: str) -> list[list[str]]:
    answer = contact.get(path)
    assert answer.status_code == 200, path
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    assert answer.headers["cache-control"] == "no-store"
    return _table(answer.content, delimiter)


def test_an_employer_plan_csv_holds_the_learners_and_their_path(
    site: Site, contact: WebClient
) -> None:
    before = _count(site, disclosure)
    header, *rows = _download(contact, "/sponsor/csv/C-EMP", ";")
    assert header[:4] == CONTRACT_FR
    for label in (*LEARNER_FR, *PATH_FR):
        assert label in header, label
    for label in header:
        assert not RAW.search(label), f"a column named like the database: {label}"
    assert len(header) == len(set(header)), "each column says what it is"
    column = {label: [row[header.index(label)] for row in rows] for label in header}
    assert set(column["Contrat"]) == {"C-EMP"}
    assert set(column["Financement"]) == {"Plan de formation de l'employeur"}
    assert set(column["Fin"]) == {"30/06/2026"}
    assert {LEARNERS["chloe"][1], LEARNERS["dan"][1]} == set(column["Prénom"])
    assert "Se présenter" in column["Module"]
    statuses = set(column["Statut du parcours"]) | set(column["Statut du module"])
    assert statuses and not statuses & {"in_progress", "passed", "enrolled", "completed"}
    body = "\n".join(";".join(row) for row in rows)
    for name in ("ana", "bob", "eve", "fay"):
        assert LEARNERS[name][0] not in body and LEARNERS[name][2] not in body
    assert not re.search(r"\d{4}-\d{2}-\d{2}", body), "dates as people write them"
    assert _count(site, disclosure) == before + 1, "the download is logged as the page is"


@pytest.mark.parametrize("reference", ["C-EMP-CPF", "C-EMP-WEB", "C-OPCO"])
def test_a_contract_without_a_sponsor_recipient_gives_the_contract_only(
    site: Site, contact: WebClient, reference: str
) -> None:
    before = _count(site, disclosure)
    header, *rows = _download(contact, f"/sponsor/csv/{reference}", ";")
    assert header == CONTRACT_FR, "no learner column, no learning path column"
    assert len(rows) == 1 and rows[0][0] == reference
    for address, given, family in LEARNERS.values():
        assert not {address, given, family} & set(rows[0])
    assert _count(site, disclosure) == before, "nothing about a person left"


def test_the_english_csv_is_labelled_in_english(site: Site, contact: WebClient) -> None:
    header, *rows = _download(contact, "/en/sponsor/csv/C-EMP", ",")
    assert header[:7] == [*CONTRACT_EN, "Given name", "Family name", "E-mail address"]
    assert "Path status" in header and "Module status" in header
    assert {row[1] for row in rows} == {"Employer's training plan"}
    cpf_header, cpf_row = _download(contact, "/en/sponsor/csv/C-EMP-CPF", ",")
    assert cpf_header == CONTRACT_EN
    assert cpf_row[1] == "CPF (personal training account)"


def test_the_download_log_holds_no_personal_value(site: Site, contact: WebClient) -> None:
    before = _count(site, audit_entry)
    sent = contact.get("/sponsor/csv/C-EMP")
    assert sent.status_code == 200
    engine = make_engine(site.url)
    try:
        with engine.connect() as connection:
            logged = connection.execute(
                select(
                    disclosure.c.actor,
                    disclosure.c.fields,
                    disclosure.c.recipient,
                    disclosure.c.payload_format,
                    disclosure.c.payload_sha256,
                )
                .order_by(disclosure.c.id.desc())
                .limit(1)
            ).one()
            entries = connection.execute(
                select(audit_entry.c.action, audit_entry.c.details).where(audit_entry.c.id > before)
            ).all()
    finally:
        engine.dispose()
    assert logged.actor == f"sponsor_contact:{site.contact_id}"
    assert logged.recipient == "employer"
    assert "learner.given_name" in orjson.loads(logged.fields)
    # The log names the very file the contact received.
    assert logged.payload_format == "csv"
    assert logged.payload_sha256 == hashlib.sha256(sent.content).hexdigest()
    assert [entry.action for entry in entries] == ["transmission.sent"]
    written = orjson.dumps(entries[0].details).decode()
    for address, given, family in LEARNERS.values():
        assert address not in written and given not in written and family not in written


def test_another_sponsors_contract_csv_is_not_found(site: Site, contact: WebClient) -> None:
    before = _count(site, disclosure)
    foreign = contact.get("/sponsor/csv/C-SCH")
    unknown = contact.get("/sponsor/csv/C-NONE")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.text == unknown.text
    assert _count(site, disclosure) == before


def test_the_contract_page_uses_stacking_tables_and_a_download_button(
    contact: WebClient,
) -> None:
    page = contact.get("/sponsor/contracts/C-EMP").text
    assert '<a class="button" href="/sponsor/csv/C-EMP" download>' in page
    cells = re.findall(r"<td( data-label=\"[^\"]+\")?>", page)
    assert cells and all(label for label in cells), "every cell names its column"
    assert page.count('<table class="data-table">') == 1 + page.count("<h4>")
    overview = contact.get("/en/sponsor").text
    assert '<table class="data-table">' in overview
    assert '<td data-label="Funding">' in overview


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _signed_in(browser: Browser, base: str, width: int) -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, java_script_enabled=True, locale="fr-FR"
    )
    page = context.new_page()
    page.goto(f"{base}/account/sign-in")
    page.get_by_label("Votre adresse électronique").fill(CONTACT)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/sponsor")
    return page


@pytest.mark.parametrize(
    "path",
    [
        "/sponsor",
        "/en/sponsor",
        "/sponsor/contracts/C-EMP",
        "/en/sponsor/contracts/C-EMP",
        "/sponsor/contracts/C-EMP-CPF",
    ],
)
def test_a_phone_shows_the_pages_without_sideways_scrolling(
    site: Site, browser: Browser, path: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = path.strip("/").replace("/", "-")
    wide = _signed_in(browser, site.base, 1280)
    wide.goto(f"{site.base}{path}")
    wide.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)
    shown = wide.locator("main").inner_text()
    assert not RAW.search(shown.replace(CONTACT, "")), RAW.search(shown)
    wide.context.close()
    phone = _signed_in(browser, site.base, 390)
    phone.goto(f"{site.base}{path}")
    phone.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    widths = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{path} is {widths[0]} px wide on a {widths[1]} px screen"
    for button in phone.locator("main .button, main button").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44, f"a {box} tap target on {path}"
    phone.context.close()

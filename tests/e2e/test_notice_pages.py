"""The public notice pages over real HTTP: valid HTML, no JavaScript, the policy version, and a
footer link to both languages on every page."""

from __future__ import annotations

from xml.etree.ElementTree import Element

import html5lib
import httpx
import pytest

from gardien.policy import load_policy
from gardien.services.notice import render_notice
from gardien.store.catalogue import record_catalogue
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from tests.support.server import running_server

NS = "{http://www.w3.org/1999/xhtml}"
PAGES = ["/", "/confidentialite", "/privacy"]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, httpx.Response]:
    url = f"sqlite:///{tmp_path_factory.mktemp('notice') / 'served.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    # A loaded machine may take a while to start a server.
    with running_server({"GARDIEN_DATABASE_URL": url}, timeout=120) as base:
        return {path: httpx.get(f"{base}{path}") for path in PAGES}


def parse(page: httpx.Response) -> Element:
    """The page's tree; html5lib in strict mode raises on any parse error of the HTML."""
    tree: Element = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True).parse(page.text)
    return tree


def text_of(tree: Element) -> str:
    return " ".join(" ".join(tree.itertext()).split())


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_valid_html_without_script_and_links_to_the_notice(
    pages: dict[str, httpx.Response], path: str
) -> None:
    page = pages[path]
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    tree = parse(page)
    assert tree.findall(f".//{NS}script") == []
    assert not [name for element in tree.iter() for name in element.attrib if name.startswith("on")]
    footer = tree.find(f".//{NS}footer")
    assert footer is not None
    links = {a.get("href") for a in footer.iter(f"{NS}a")}
    assert {"/confidentialite", "/privacy"} <= links


@pytest.mark.parametrize(("path", "lang"), [("/confidentialite", "fr"), ("/privacy", "en")])
def test_the_notice_page_shows_the_notice_and_the_policy_version(
    pages: dict[str, httpx.Response], path: str, lang: str
) -> None:
    policy = load_policy(None, catalogue=record_catalogue())
    tree = parse(pages[path])
    assert tree.get("lang") == lang
    text = text_of(tree)
    assert policy.version in text
    # The page carries the same text as `gardien notice --format html` renders.
    expected = text_of(
        html5lib.parseFragment(render_notice(policy, lang=lang, fmt="html"), treebuilder="etree")
    )
    assert expected and expected in text
    assert policy.hosting.provider in text


@pytest.mark.parametrize(
    ("path", "updated"),
    [
        ("/confidentialite", "Dernière mise à jour : 07/12/2026"),
        ("/privacy", "Last updated: 7 December 2026"),
    ],
)
def test_the_notice_page_is_dated_and_its_contents_lead_to_each_section(
    pages: dict[str, httpx.Response], path: str, updated: str
) -> None:
    tree = parse(pages[path])
    assert updated in text_of(tree)
    toc = tree.find(f".//{NS}nav[@class='toc']")
    assert toc is not None
    targets = [a.get("href", "") for a in toc.iter(f"{NS}a")]
    ids = {element.get("id") for element in tree.iter() if element.get("id")}
    assert len(targets) >= 9
    assert all(target.startswith("#") and target[1:] in ids for target in targets)

"""The rendered notice: golden Markdown in both languages, valid script-free HTML.

A change to the wording, the templates or the default policy shows here as a diff. After
reviewing it, rewrite the golden files with ``GARDIEN_UPDATE_GOLDEN=1 pytest <this file>``.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from xml.etree.ElementTree import Element

import html5lib
import pytest

from gardien.i18n import SUPPORTED
from gardien.policy import Policy, load_policy
from gardien.services.notice import notice_document, render_notice
from gardien.store.catalogue import record_catalogue

GOLDEN = Path(__file__).parents[1] / "golden"
UPDATE = os.environ.get("GARDIEN_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(None, catalogue=record_catalogue())


def assert_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8") if path.exists() else ""
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"tests/golden/{name}",
                tofile="rendered",
            )
        )
        pytest.fail(
            f"the notice differs from tests/golden/{name}; after review, rewrite it with"
            f" GARDIEN_UPDATE_GOLDEN=1:\n{diff}",
            pytrace=False,
        )


@pytest.mark.parametrize("lang", SUPPORTED)
def test_markdown_matches_the_golden_file(policy: Policy, lang: str) -> None:
    assert_golden(f"notice.{lang}.md", render_notice(policy, lang=lang, fmt="md"))


def _parse(document: str) -> Element:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    root = parser.parse(document)
    assert isinstance(root, Element)
    return root


@pytest.mark.parametrize("lang", SUPPORTED)
def test_the_html_document_is_valid_and_script_free(policy: Policy, lang: str) -> None:
    document = notice_document(policy, lang)
    assert document.startswith("<!doctype html>\n")
    root = _parse(document)  # strict: any parse error raises
    assert root.get("lang") == lang
    assert root.find("head/meta[@charset='utf-8']") is not None
    title = root.find("head/title")
    assert title is not None
    assert policy.controller.name in (title.text or "")
    article = root.find("body/main/article")
    assert article is not None
    assert article.get("lang") == lang
    elements = list(root.iter())
    assert not [e for e in elements if e.tag in {"script", "iframe", "object", "embed"}]
    assert not [(e.tag, a) for e in elements for a in e.attrib if a.lower().startswith("on")]
    assert all(not e.get("href", "").lower().startswith("javascript:") for e in elements)
    assert policy.version in "".join(article.itertext())


@pytest.mark.parametrize("lang", SUPPORTED)
def test_the_html_fragment_says_what_the_markdown_says(policy: Policy, lang: str) -> None:
    fragment = render_notice(policy, lang=lang, fmt="html")
    assert fragment.startswith(f'<article lang="{lang}">\n')
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    article = parser.parseFragment(fragment).find("article")
    assert article is not None
    html_words = " ".join("".join(article.itertext()).split())
    markdown = render_notice(policy, lang=lang, fmt="md")
    markdown = re.sub(r"^(#+|-) ", "", markdown, flags=re.MULTILINE)  # headings, list items
    markdown = re.sub(r" \{#[a-z-]+\}$", "", markdown, flags=re.MULTILINE)  # heading ids
    markdown = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)  # links
    markdown = re.sub(r"<([^>@ ]+@[^> ]+)>", r"\1", markdown)  # e-mail autolinks
    md_words = " ".join(markdown.replace("**", "").replace("`", "").split())
    assert html_words == md_words


def test_policy_text_is_escaped_in_html(policy: Policy) -> None:
    hostile = policy.hosting.model_copy(update={"provider": "<script>alert(1)</script>"})
    document = notice_document(policy.model_copy(update={"hosting": hostile}), "en")
    assert "<script>" not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    _parse(document)

"""Campaign files: a subject line, an optional language, then Markdown."""

from __future__ import annotations

import pytest

from gardien.errors import InvalidInputError
from gardien.services.website.campaign import parse_campaign


def test_a_campaign_has_a_subject_a_language_and_markdown() -> None:
    campaign = parse_campaign("Subject: Rentrée  2026\nLanguage: en\n\nHello **you**\n<b>x</b>\n")
    assert campaign.subject == "Rentrée 2026"
    assert campaign.lang == "en"
    assert campaign.text == "Hello **you**\n<b>x</b>\n"
    assert "<strong>you</strong>" in campaign.html
    assert "<b>" not in campaign.html  # raw HTML in the source is escaped
    assert len(campaign.id) == 16


def test_the_language_defaults_to_french_and_the_id_follows_the_content() -> None:
    one = parse_campaign("Subject: A\n\nText\n")
    assert one.lang == "fr"
    assert one.id == parse_campaign("Subject: A\n\nText\n").id
    assert one.id != parse_campaign("Subject: A\n\nText!\n").id


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("Hello\n\nText", "line 1: expected 'Subject: ...'"),
        ("Subject: A\nSubject: B\n\nText", "line 2: subject given twice"),
        ("Language: fr\n\nText", "line 1: a campaign starts with 'Subject: ...'"),
        ("Subject: A\nLanguage: de\n\nText", "language 'de'"),
        ("Subject: A\n\n   \n", "no text"),
    ],
)
def test_a_bad_campaign_is_refused_with_its_line(source: str, problem: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_campaign(source, name="autumn.md")
    assert problem in str(caught.value)
    assert str(caught.value).startswith("autumn.md: ")

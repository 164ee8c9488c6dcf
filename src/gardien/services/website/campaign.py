"""A newsletter campaign: a Markdown file that starts with its subject line.

    Subject: Nouveautés de la rentrée
    Language: fr

    Bonjour,

    Voici **nos nouveautés** ...

``Subject:`` is required; ``Language:`` (``fr`` or ``en``, default ``fr``) sets the language of
the footer and of the unsubscribe page. The header lines end at the first blank line; the rest
is Markdown, sent as the text part as it is and as HTML (raw HTML in the source is escaped,
not passed through). The campaign's id is a digest of the whole file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

from markdown_it import MarkdownIt

from gardien.errors import InvalidInputError
from gardien.i18n import SUPPORTED

_HEADERS = {"subject", "language"}


@dataclass(frozen=True)
class Campaign:
    """A parsed campaign: id, subject, language and Markdown text."""

    id: str
    subject: str
    lang: str
    text: str

    @cached_property
    def html(self) -> str:
        rendered: str = MarkdownIt("commonmark", {"html": False}).render(self.text)
        return rendered


def parse_campaign(source: str, *, name: str = "campaign") -> Campaign:
    """The campaign in ``source``; :class:`InvalidInputError` naming ``name`` and the line."""
    lines = source.replace("\r\n", "\n").split("\n")
    headers: dict[str, str] = {}
    body_start = len(lines)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            body_start = number
            break
        key, colon, value = line.partition(":")
        key = key.strip().lower()
        if not colon or key not in _HEADERS:
            raise InvalidInputError(
                f"line {number}: expected 'Subject: ...' or 'Language: ...' before a blank line",
                field=name,
            )
        if key in headers:
            raise InvalidInputError(f"line {number}: {key} given twice", field=name)
        headers[key] = value.strip()
    subject = headers.get("subject", "")
    if not subject:
        raise InvalidInputError("line 1: a campaign starts with 'Subject: ...'", field=name)
    lang = headers.get("language", "fr") or "fr"
    if lang not in SUPPORTED:
        raise InvalidInputError(
            f"language {lang!r}: choose one of {', '.join(SUPPORTED)}", field=name
        )
    text = "\n".join(lines[body_start:]).strip()
    if not text:
        raise InvalidInputError("the campaign has no text after its header lines", field=name)
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    return Campaign(id=digest, subject=" ".join(subject.split()), lang=lang, text=text + "\n")

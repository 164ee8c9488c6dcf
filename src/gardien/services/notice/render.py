"""Render the privacy notice as Markdown or HTML, from one template and the gettext catalogues.

``templates/notice.j2`` states the notice once; it imports its building blocks (headings,
paragraphs, lists, links) from ``_md.j2`` or ``_html.j2``, so the two formats share one
structure. HTML is autoescaped; neither format carries any script.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from gardien.i18n import translations
from gardien.policy.model import Policy
from gardien.services.notice.fields import FieldCategories
from gardien.services.notice.model import NoticeView, build_notice

Format = Literal["md", "html"]
FORMATS: tuple[Format, ...] = ("md", "html")

_BLANK_LINES = re.compile(r"\n{3,}")


def render_notice(
    policy: Policy,
    *,
    lang: str,
    fmt: Format,
    categories_of_fields: FieldCategories | None = None,
) -> str:
    """The notice of ``policy`` in ``lang``: Markdown, or an HTML ``<article>`` fragment.

    ``categories_of_fields`` names the category of each field a recipient may receive (by
    default, the data model's classification; see :func:`.model.build_notice`).
    """
    notice = build_notice(policy, lang=lang, categories_of_fields=categories_of_fields)
    return render_view(notice, fmt=fmt)


def render_view(notice: NoticeView, *, fmt: Format) -> str:
    """Render an already built notice."""
    template = _environment(fmt, notice.lang).get_template("notice.j2")
    text = template.render(notice=notice, macros=f"_{fmt}.j2")
    return _tidy(text, blank_lines=fmt == "md")


def notice_document(
    policy: Policy, lang: str, *, categories_of_fields: FieldCategories | None = None
) -> str:
    """A complete HTML5 page holding the notice of ``policy`` in ``lang``."""
    notice = build_notice(policy, lang=lang, categories_of_fields=categories_of_fields)
    # Safe to mark: the fragment was rendered with autoescaping on.
    article = Markup(render_view(notice, fmt="html"))
    template = _environment("html", lang).get_template("document.html.j2")
    page = template.render(lang=lang, controller=notice.controller.name, article=article)
    return _tidy(page, blank_lines=False)


@cache
def _environment(fmt: Format, lang: str) -> Environment:
    # One environment per format and language: installing translations sets globals, so an
    # environment shared between languages would not be safe under concurrent use.
    environment = Environment(
        loader=PackageLoader("gardien.services.notice", "templates"),
        autoescape=fmt == "html",
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.policies["ext.i18n.trimmed"] = True
    environment.filters["oneline"] = _oneline
    environment.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return environment


def _oneline(text: str) -> str:
    """Collapse the whitespace of a paragraph or list item onto one line (kept as Markup)."""
    joined = " ".join(str(text).split())
    return Markup(joined) if isinstance(text, Markup) else joined


def _tidy(text: str, *, blank_lines: bool) -> str:
    """No trailing spaces, one final newline; in Markdown, at most one blank line in a row
    (blank lines separate its blocks); in HTML, none at all (tags do)."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    if not blank_lines:
        return "\n".join(line for line in lines if line) + "\n"
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)) + "\n"

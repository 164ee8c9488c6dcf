"""The website's e-mails and their wording, from Jinja templates translated with gettext.

One Jinja environment per language, each with its translations installed once (an
environment is shared between threads, so translations are never swapped per request).
Templates are plain text unless their name ends in ``.html.j2`` (autoescaped).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from gardien.i18n import translations

WEBSITE = "gardien.services.website"


@cache
def environment(lang: str, package: str = WEBSITE) -> Environment:
    """The environment of ``lang`` (one of :data:`gardien.i18n.SUPPORTED`) for the templates
    of ``package`` (its ``templates`` folder)."""
    env = Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def render(name: str, lang: str, context: Mapping[str, Any], *, package: str = WEBSITE) -> str:
    """Template ``name`` of ``package`` rendered in ``lang``."""
    return environment(lang, package).get_template(name).render(context)


def gettext(lang: str, message: str) -> str:
    """One message in ``lang`` (for wording built in code, such as a consent statement)."""
    return translations(lang).gettext(message)

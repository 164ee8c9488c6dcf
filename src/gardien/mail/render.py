"""Render e-mails from the Jinja2 text templates under ``templates/``.

An e-mail ``name`` is two templates: ``name.subject.txt`` (one line) and ``name.body.txt``.
They are plain text, so autoescaping is off; an undefined variable is an error rather than a
silent blank in a message sent to a person. The wording lives in the templates only, so that
the gettext catalogues the conventions ask for (Babel, a later issue) can take it over there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


@dataclass(frozen=True, slots=True)
class RenderedMail:
    """A rendered e-mail: its subject line and its text body."""

    subject: str
    body: str


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("gardien.mail", "templates"),
        autoescape=False,  # text/plain: there is no markup to escape
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_mail(name: str, context: Mapping[str, Any]) -> RenderedMail:
    """The subject and body of e-mail ``name`` rendered with ``context``.

    The subject is folded onto one line (a header cannot hold a line break); the body ends
    with exactly one newline.
    """
    environment = _environment()
    subject = environment.get_template(f"{name}.subject.txt").render(context)
    body = environment.get_template(f"{name}.body.txt").render(context)
    return RenderedMail(subject=" ".join(subject.split()), body=body.rstrip() + "\n")

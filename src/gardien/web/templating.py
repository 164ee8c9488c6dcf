"""Page templates, one Jinja environment per language with its gettext translations installed.

An environment is shared by every request, so translations are installed once per language
at start-up rather than swapped per request (which two concurrent requests would race on).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gardien.i18n import SUPPORTED, translations
from gardien.web.stylesheet import stylesheet

TEMPLATES = Path(__file__).with_name("templates")


class Pages:
    """Renders the site's pages in French or English."""

    def __init__(
        self,
        directory: Path = TEMPLATES,
        *,
        extra: Callable[[Request], Mapping[str, Any]] | None = None,
    ) -> None:
        # ``extra`` adds what every page needs from the request (CSRF token, who is signed in).
        self._extra = extra
        self._templates: dict[str, Jinja2Templates] = {}
        for lang in SUPPORTED:
            env = Environment(
                loader=FileSystemLoader(directory),
                autoescape=select_autoescape(default=True),
                extensions=["jinja2.ext.i18n"],
                # The templates ship with the package: no file is checked at each render.
                auto_reload=False,
            )
            env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
            env.globals["stylesheet_url"] = stylesheet().url
            self._templates[lang] = Jinja2Templates(env=env)

    def gettext(self, lang: str, message: str) -> str:
        """``message`` in ``lang``, for wording built in code."""
        return translations(lang).gettext(message)

    def render(
        self,
        request: Request,
        name: str,
        lang: str,
        context: Mapping[str, Any],
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """Page ``name`` in ``lang``; ``lang`` is in the context for ``<html lang>``."""
        extra = self._extra(request) if self._extra is not None else {}
        return self._templates[lang].TemplateResponse(
            request,
            name,
            {**extra, **context, "lang": lang},
            status_code=status_code,
            headers=dict(headers or {}),
        )

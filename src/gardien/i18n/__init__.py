"""Translations of what people read, from the gettext catalogues under ``locale/``.

Source strings (msgids) are English; each other language has a ``.po`` catalogue,
``locale/<lang>/LC_MESSAGES/gardien.po``, read at run time with Babel, so there is no compiled
``.mo`` file to build or to forget. :func:`translations` gives a standard
:class:`gettext.NullTranslations` (``gettext``, ``ngettext``, ``pgettext``, ``npgettext``), which
Jinja's ``i18n`` extension installs as it is; the notice and the web pages share it.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from gardien.errors import UnsupportedLanguageError

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LOCALE_DIR",
    "SOURCE_LANGUAGE",
    "SUPPORTED",
    "CatalogueTranslations",
    "catalogue_path",
    "translations",
]

SUPPORTED = ("fr", "en")
DEFAULT_LANGUAGE = "fr"  # what a person sees first (CONVENTIONS.md: French first)
SOURCE_LANGUAGE = "en"  # the language of the msgids: it needs no catalogue
DOMAIN = "gardien"
LOCALE_DIR = Path(__file__).with_name("locale")

_Key = tuple[str | None, str]  # (msgctxt, msgid)


class CatalogueTranslations(gettext.NullTranslations):
    """Translations read from a Babel catalogue; an untranslated message falls back to its msgid.

    Fuzzy and empty entries count as untranslated, as ``msgfmt`` would treat them.
    """

    def __init__(self, catalog: Catalog) -> None:
        super().__init__()
        self._singular: dict[_Key, str] = {}
        self._plural: dict[_Key, tuple[str, ...]] = {}
        plural_expr = catalog.plural_expr or "(n != 1)"
        self._plural_index: Callable[[int], int] = gettext.c2py(plural_expr)
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            if isinstance(message.id, tuple | list):
                forms = tuple(message.string or ())
                if forms and all(forms):
                    self._plural[(message.context, message.id[0])] = forms
            elif isinstance(message.string, str) and message.string:
                self._singular[(message.context, message.id)] = message.string

    def gettext(self, message: str) -> str:
        return self._singular.get((None, message), message)

    def pgettext(self, context: str, message: str) -> str:
        return self._singular.get((context, message), message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self._plural_form(None, msgid1, msgid2, n)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return self._plural_form(context, msgid1, msgid2, n)

    def _plural_form(self, context: str | None, msgid1: str, msgid2: str, n: int) -> str:
        forms = self._plural.get((context, msgid1))
        if forms is None:
            return msgid1 if n == 1 else msgid2
        index = self._plural_index(n)
        return forms[index] if index < len(forms) else forms[-1]


def catalogue_path(lang: str) -> Path:
    """The ``.po`` file of ``lang`` (which need not exist for the source language)."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The translations into ``lang``, one of :data:`SUPPORTED`; read once, then cached.

    Raises :class:`~gardien.errors.UnsupportedLanguageError` for any other language.
    """
    if lang not in SUPPORTED:
        raise UnsupportedLanguageError(lang, supported=SUPPORTED)
    path = catalogue_path(lang)
    if lang == SOURCE_LANGUAGE and not path.exists():
        return CatalogueTranslations(Catalog(locale=lang, domain=DOMAIN))
    with path.open("rb") as po:
        return CatalogueTranslations(read_po(po, locale=lang, domain=DOMAIN))

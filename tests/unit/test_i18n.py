"""The gettext catalogues: loaded without a build step, complete, and free of stale entries."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from gardien.errors import GardienError, UnsupportedLanguageError
from gardien.i18n import SOURCE_LANGUAGE, SUPPORTED, catalogue_path, translations

ROOT = Path(__file__).parents[2]
SRC = ROOT / "src" / "gardien"
TRANSLATED = [lang for lang in SUPPORTED if lang != SOURCE_LANGUAGE]


def _used_msgids() -> set[str]:
    """Every msgid the code and the templates use (the singular, for plural messages)."""
    # The mapping pybabel uses too (docs/notice.md); "jinja2" is jinja2.ext.babel_extract.
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        methods, options = parse_mapping_cfg(cfg)
    assert ("**/templates/**.j2", "jinja2") in methods
    used = set()
    for _, _, message, _, _ in extract_from_dir(SRC, method_map=methods, options_map=options):
        used.add(message[0] if isinstance(message, tuple) else message)
    return used


def _catalogue(lang: str) -> Catalog:
    with catalogue_path(lang).open("rb") as po:
        return read_po(po, locale=lang)


def test_the_source_language_is_the_msgids() -> None:
    assert translations("en").gettext("Your rights") == "Your rights"
    assert translations("en").ngettext("%(num)d month", "%(num)d months", 2) == "%(num)d months"


def test_french_is_translated_with_french_plurals() -> None:
    fr = translations("fr")
    assert fr.gettext("Your rights") == "Vos droits"
    assert fr.ngettext("%(num)d year", "%(num)d years", 1) == "%(num)d an"
    assert fr.ngettext("%(num)d year", "%(num)d years", 0) == "%(num)d an"
    assert fr.ngettext("%(num)d year", "%(num)d years", 2) == "%(num)d ans"
    assert fr.gettext("a message nobody wrote") == "a message nobody wrote"
    assert fr.pgettext("some context", "Your rights") == "Your rights"


def test_translations_are_cached() -> None:
    assert translations("fr") is translations("fr")


@pytest.mark.parametrize("lang", ["de", "", "FR", "fr_FR"])
def test_an_unsupported_language_is_a_clear_error(lang: str) -> None:
    with pytest.raises(UnsupportedLanguageError) as caught:
        translations(lang)
    assert isinstance(caught.value, GardienError)
    assert caught.value.exit_code == 2
    assert str(caught.value) == f"unsupported language {lang!r}: choose one of fr, en"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_used_is_translated(lang: str) -> None:
    catalogue = _catalogue(lang)
    untranslated = [
        msgid
        for msgid in sorted(_used_msgids())
        if msgid not in catalogue or not catalogue[msgid].string or not all(catalogue[msgid].string)
    ]
    assert not untranslated


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_catalogue_has_no_stale_fuzzy_or_broken_entry(lang: str) -> None:
    catalogue = _catalogue(lang)
    assert not catalogue.obsolete
    entries = [message for message in catalogue if message.id]
    assert not [message.id for message in entries if message.fuzzy]
    ids = {message.id[0] if isinstance(message.id, tuple) else message.id for message in entries}
    assert ids - _used_msgids() == set()  # no entry left over from a removed message
    # Placeholders agree between each msgid and its translation.
    assert not [(message.id, errors) for message, errors in catalogue.check()]
    assert catalogue.num_plurals == 2

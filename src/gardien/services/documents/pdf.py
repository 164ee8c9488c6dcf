"""Small PDF building blocks on fpdf2, shared by the invoice and the certificate of completion.

A document is one A4 page (more if it runs over) with the organisation's letterhead, a title,
label/value rows, tables and paragraphs. Two choices keep the files simple and reproducible:

- **Core font Helvetica.** Nothing to ship or embed, and every PDF reader has it; but it only
  covers latin-1, so every text goes through :func:`latin1`, which spells out what latin-1 lacks
  (``€`` becomes ``EUR``, ``œ`` becomes ``oe``, typographic quotes become straight ones).
- **Deterministic output.** The PDF's creation date is the document's own date (the issue date),
  never the system clock, and fpdf2 derives the file identifier from the content and that date:
  the same data gives the same bytes, so a document can be regenerated and compared.

Metadata (title, language) never holds personal data: a name appears on the page only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Literal

from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from gardien.errors import UnsupportedLanguageError
from gardien.i18n.dates import format_day
from gardien.services.register.wording import LANGS, Lang, Wording

__all__ = [
    "LANGS",
    "Lang",
    "Letterhead",
    "PdfDocument",
    "Wording",
    "check_lang",
    "format_day",  # as the website writes days: 15/03/2024, 15 March 2024
    "format_money",
    "format_number",
    "latin1",
]

FONT = "Helvetica"
# Millimetres: the usable width of an A4 page between 20 mm margins.
MARGIN = 20.0
WIDTH = 210.0 - 2 * MARGIN
LINE = 5.5

# What latin-1 lacks and French text uses, spelt the way a person would type it.
_REPLACEMENTS = {
    "€": "EUR",
    "’": "'",
    "‘": "'",
    "‚": ",",
    "“": '"',
    "”": '"',
    "„": '"',
    "‹": "<",
    "›": ">",
    "œ": "oe",
    "Œ": "OE",
    "Ÿ": "Y",
    "–": "-",
    "—": "-",
    "‑": "-",
    "−": "-",
    "…": "...",
    "•": "-",
    "\u202f": " ",  # narrow no-break space, before French ";:!?" and in figures
    "\u2009": " ",  # thin space
    "\u200b": "",  # zero-width space
    "™": "TM",
}


def latin1(text: str) -> str:
    """``text`` with every character outside latin-1 replaced, so that Helvetica can show it.

    Known characters get their usual spelling (``€`` -> ``EUR``); other letters lose their
    accent when Unicode can split it off (``ł`` stays out, ``Ș`` -> ``S``); anything else
    becomes ``?``. Latin-1 text (French accents included) comes back unchanged.
    """
    if text.isascii():
        return text
    out: list[str] = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
        elif char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", char) if ord(c) < 256 and c.isprintable()
            )
            out.append(base or "?")
    return "".join(out)


def check_lang(lang: str) -> Lang:
    """``lang`` if documents are worded in it, else :class:`UnsupportedLanguageError`."""
    if lang == "fr":
        return "fr"
    if lang == "en":
        return "en"
    raise UnsupportedLanguageError(lang, supported=LANGS)


def format_number(value: float, lang: Lang) -> str:
    """A quantity as people write it: ``35``, ``12,5`` (French), ``12.5``; two decimals at most."""
    if float(value).is_integer():
        return str(int(value))
    text = f"{value:.2f}".rstrip("0")
    return text.replace(".", ",") if lang == "fr" else text


def format_money(cents: int, currency: str, lang: Lang) -> str:
    """An amount with two decimals and its currency: ``1 250,00 EUR`` or ``-1,250.00 EUR``."""
    units, rest = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    if lang == "fr":
        return f"{sign}{units:,}".replace(",", " ") + f",{rest:02d} {currency}"
    return f"{sign}{units:,}.{rest:02d} {currency}"


@dataclass(frozen=True)
class Letterhead:
    """Who issues the document: the organisation's name and postal address (the controller)."""

    name: str
    address: str


class PdfDocument:
    """One document under construction; :meth:`output` gives its bytes.

    Every text is passed through :func:`latin1`; callers give plain (already worded) strings.
    """

    def __init__(self, *, letterhead: Letterhead, title: str, issued_on: date, lang: Lang) -> None:
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        # Determinism: fpdf2 would stamp the wall-clock time; the document's date says when.
        pdf.set_creation_date(datetime.combine(issued_on, time(0, 0), tzinfo=UTC))
        pdf.set_creator("gardien")
        pdf.set_producer("gardien")
        pdf.set_lang(lang)
        pdf.set_title(title)
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, margin=MARGIN)
        pdf.add_page()
        self._pdf = pdf
        self._letterhead(letterhead)
        self.space(8)
        pdf.set_font(FONT, "B", 16)
        pdf.multi_cell(WIDTH, 8, latin1(title), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.space(4)

    def _letterhead(self, letterhead: Letterhead) -> None:
        pdf = self._pdf
        pdf.set_font(FONT, "B", 12)
        pdf.multi_cell(WIDTH, 6, latin1(letterhead.name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 9)
        pdf.multi_cell(WIDTH, 4.5, latin1(letterhead.address), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(120, 120, 120)
        pdf.line(MARGIN, pdf.get_y() + 2, MARGIN + WIDTH, pdf.get_y() + 2)
        pdf.set_y(pdf.get_y() + 2)

    def space(self, height: float) -> None:
        """Leave ``height`` millimetres blank."""
        self._pdf.set_y(self._pdf.get_y() + height)

    def heading(self, text: str) -> None:
        """A section heading."""
        self.space(3)
        self._pdf.set_font(FONT, "B", 11)
        self._pdf.multi_cell(WIDTH, 7, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def paragraph(self, text: str, *, bold: bool = False, justify: bool = True) -> None:
        """Running text, wrapped to the page width; ``\\n`` starts a new line."""
        self._pdf.set_font(FONT, "B" if bold else "", 10)
        align = Align.J if justify else Align.L
        self._pdf.multi_cell(
            WIDTH, LINE, latin1(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.space(2)

    def rows(self, items: Sequence[tuple[str, str]], *, label_width: float = 60.0) -> None:
        """Label/value pairs, one a line, labels in bold; values may hold several lines."""
        if not items:
            return
        self._pdf.set_font(FONT, "", 10)
        with self._pdf.table(
            col_widths=(label_width, WIDTH - label_width),
            width=WIDTH,
            first_row_as_headings=False,
            borders_layout=TableBordersLayout.NONE,
            line_height=LINE,
            padding=(0.5, 1.0),
            align=Align.L,
        ) as table:
            for label, value in items:
                row = table.row()
                row.cell(latin1(label), style=_BOLD)
                row.cell(latin1(value))
        self.space(2)

    def table(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        col_widths: Sequence[float],
        align: Sequence[Literal["LEFT", "RIGHT", "CENTER"]],
        bold_last: bool = False,
    ) -> None:
        """A ruled table with a heading row; ``bold_last`` sets the last row in bold (a total)."""
        self._pdf.set_font(FONT, "", 10)
        with self._pdf.table(
            col_widths=tuple(col_widths),
            width=WIDTH,
            text_align=tuple(align),
            line_height=LINE + 1,
            headings_style=_BOLD,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            align=Align.L,
        ) as table:
            heading = table.row()
            for text in headings:
                heading.cell(latin1(text))
            for index, cells in enumerate(rows):
                row = table.row()
                style = _BOLD if bold_last and index == len(rows) - 1 else None
                for text in cells:
                    row.cell(latin1(text), style=style)
        self.space(2)

    def output(self) -> bytes:
        """The finished PDF."""
        return bytes(self._pdf.output())


_BOLD = FontFace(emphasis="BOLD")

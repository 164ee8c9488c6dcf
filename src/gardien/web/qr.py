"""QR codes drawn on the server as inline SVG (segno): no script, no image request, nothing
the Content-Security-Policy has to allow."""

from __future__ import annotations

import segno
from markupsafe import Markup, escape

# 4 px a module: a 41-module code of an otpauth URI is about 200 px wide, within a phone's
# 390 px, and big enough for a camera held at arm's length.
_SCALE = 4


def qr_svg(data: str, *, label: str) -> Markup:
    """An ``<svg>`` element (no XML prologue) of the QR code of ``data``, black on white
    whatever the page's colours (a camera needs the contrast), named ``label`` for readers."""
    code = segno.make(data, error="m", micro=False)
    svg = code.svg_inline(scale=_SCALE, dark="#000", light="#fff", border=4, title=label)
    named = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
    # segno's own markup; the only text put in, the label, is escaped (here and by segno).
    return Markup(named)

"""The site's one stylesheet, served by the app itself at a fingerprinted address.

The Content-Security-Policy allows styles from the site's own origin only (no inline
``<style>`` nor ``style=""``), so every rule lives in ``static/gardien.css``. Pages link to
``/static/gardien.css?v=<digest of its content>``: that exact address may be kept by caches
for a year, since a change of the file changes the address every page links to.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi.responses import Response

SOURCE = Path(__file__).with_name("static") / "gardien.css"
PATH = "/static/gardien.css"
# The linked version never changes under its address; any other (a page rendered before a
# deployment, a bare link) is the current file, kept only briefly.
LONG = "public, max-age=31536000, immutable"
BRIEF = "public, max-age=300"


@dataclass(frozen=True)
class Stylesheet:
    body: bytes
    version: str

    @property
    def url(self) -> str:
        return f"{PATH}?v={self.version}"


@cache
def stylesheet() -> Stylesheet:
    """The stylesheet, read once per process, with the digest its address carries."""
    body = SOURCE.read_bytes()
    return Stylesheet(body, hashlib.sha256(body).hexdigest()[:16])


def stylesheet_response(version: str | None) -> Response:
    """The stylesheet, cacheable for a year when asked for at its current address."""
    sheet = stylesheet()
    return Response(
        sheet.body,
        media_type="text/css",
        headers={"Cache-Control": LONG if version == sheet.version else BRIEF},
    )

"""xAPI versions: 1.0.3 and 2.0.0 (IEEE 9274.1.1), negotiated by ``X-Experience-API-Version``.

A request names 1.0.x or 2.0.x; every answer of ``/xapi/`` names the version it was given in:
``1.0.3`` for any 1.0.x, ``2.0.0`` for any 2.0.x (Communication 3.3; 2.0's 4.1.3). The
handlers answer in 1.0.3, as they always have; :class:`XapiVersionMiddleware` rewrites the
header of the answers to a 2.0 request, whatever produced them (errors and 503s included).
"""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

V1 = "1.0.3"
V2 = "2.0.0"
SUPPORTED = ("1.0.0", V1, V2)  # what the About resource lists
HEADER = "X-Experience-API-Version"
_V1 = re.compile(r"1\.0(?:\.[0-9]+)?")
_V2 = re.compile(r"2\.0(?:\.[0-9]+)?")


def negotiated(asked: str | None) -> str | None:
    """The version an answer to a request naming ``asked`` is given in; None if unsupported."""
    if asked is None:
        return None
    if _V1.fullmatch(asked.strip()):
        return V1
    if _V2.fullmatch(asked.strip()):
        return V2
    return None


class XapiVersionMiddleware:
    """Answers to a 2.0 request under ``/xapi/`` say ``2.0.0``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/xapi/"):
            await self.app(scope, receive, send)
            return
        asked = None
        for name, value in scope["headers"]:
            if name == b"x-experience-api-version":
                asked = value.decode("latin-1")
        if negotiated(asked) != V2:
            await self.app(scope, receive, send)
            return

        async def send_in_v2(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = V2
            await send(message)

        await self.app(scope, receive, send_in_v2)

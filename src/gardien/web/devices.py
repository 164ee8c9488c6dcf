"""The "known device" cookie, and who a sign-in try comes from.

A browser that completes a sign-in (password, and the second factor where one is owed) gets
``gardien_device`` (``__Host-`` prefixed outside development): a random device id, the time it
was issued and a MAC binding both to the address signed in to (``KnownDevices``), valid 180
days. At the next sign-in to that address, the browser is that device: its tries are counted
on a pair of their own and skip the per-address and per-client caps, so a stranger guessing
the owner's password, even from the same network or behind the same proxy, does not lock the
owner out. The cookie holds no address; HttpOnly, SameSite=Lax, Secure outside development.
It serves the security of signing in only (strictly necessary: no consent needed).

Without a valid cookie, the client is its network address as the app sees it: the peer of the
connection, or, when that peer is a trusted proxy (uvicorn's ``FORWARDED_ALLOW_IPS``, by
default 127.0.0.1 and ::1), the address the proxy names in ``X-Forwarded-For``.
"""

from __future__ import annotations

import secrets

from fastapi import Request
from fastapi.responses import Response

from gardien.domain.cookies import DEVICE
from gardien.web.auth import cookie_name, read_cookie, secure_cookies
from gardien.web.deps import get_limits
from gardien.web.forms import client_of
from gardien.web.ratelimit import Client

DEVICE_COOKIE = DEVICE.name


def sign_in_client(request: Request, address: str) -> Client:
    """Who tries to sign in to ``address``: a known device of it, or a network client."""
    limits = get_limits(request)
    token = read_cookie(request, DEVICE_COOKIE)
    device = limits.devices.device_of(token, address, limits.clock_now)
    return Client(network=client_of(request), device=device)


def remember_device(request: Request, response: Response, address: str) -> None:
    """Give this browser a known-device cookie for ``address`` (after a complete sign-in)."""
    limits = get_limits(request)
    token = limits.devices.issue(secrets.token_urlsafe(16), address, limits.clock_now)
    response.set_cookie(
        cookie_name(request, DEVICE_COOKIE),
        token,
        max_age=int(limits.devices.lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )

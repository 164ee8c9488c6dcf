"""The cookies gardien's web pages set: one list, which the privacy notice states as it is.

Every one is strictly necessary to a service the visitor asks for (signing in, sending a form
safely), so none needs consent (loi Informatique et Libertés, art. 82). Outside development
each name carries the ``__Host-`` prefix: the browser then keeps the cookie only if Secure,
host-only and for the whole site. ``tests/e2e/test_notice_cookies.py`` signs in over HTTP and
checks that the cookies the server sends are exactly these, with these lifetimes; the web
layer (``web/auth.py``, ``web/devices.py``) takes its names from here.

Outside development the names carry the ``__Host-`` prefix: the browser then refuses them
unless Secure, host-only and for the whole site, so a sibling subdomain cannot plant one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

HOST_PREFIX = "__Host-"


@dataclass(frozen=True, slots=True)
class Cookie:
    """A cookie the site sets; ``max_age`` None: it ends when the browser is closed."""

    name: str
    max_age: timedelta | None

    @property
    def sent_name(self) -> str:
        """The name as the public site (outside development) sends it."""
        return f"{HOST_PREFIX}{self.name}"


SESSION = Cookie("gardien_session", None)
CSRF = Cookie("gardien_csrf", None)
# How long a browser stays a known device of an address (domain/throttle.py KnownDevices).
DEVICE_LIFETIME = timedelta(days=180)
DEVICE = Cookie("gardien_device", DEVICE_LIFETIME)

COOKIES: tuple[Cookie, ...] = (SESSION, CSRF, DEVICE)

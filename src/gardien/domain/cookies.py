"""The cookies gardien's web pages set: one list, which the privacy notice states as it is.

Every one is strictly necessary to a service the visitor asks for (signing in, sending a form
safely), so none needs consent (loi Informatique et Libertés, art. 82). Outside development
each name carries the ``__Host-`` prefix: the browser then keeps the cookie only if Secure,
host-only and for the whole site. ``tests/e2e/test_notice_cookies.py`` signs in over HTTP and
checks that the cookies the server sends are exactly these, with these lifetimes; the web
layer (``web/auth.py``, ``web/devices.py``) spells the same names.
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
DEVICE = Cookie("gardien_device", timedelta(days=180))

COOKIES: tuple[Cookie, ...] = (SESSION, CSRF, DEVICE)

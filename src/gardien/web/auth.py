"""Who is asking: the session cookie, CSRF tokens, and the role every protected page needs.

- The session cookie (``gardien_session``) holds a random token; the row it names is read once
  per request (:func:`current_session`). HttpOnly, SameSite=Lax, and Secure everywhere but in
  development (where the demo runs on plain http://127.0.0.1).
- CSRF (OWASP's signed double-submit): every form carries ``csrf``, an HMAC of the session's
  token, or, before sign-in, of a random ``gardien_csrf`` cookie the middleware sets. A POST
  whose token does not match is refused (403) before anything is read or written. The one
  exception is the newsletter's one-click unsubscription (RFC 8058), which must accept a bare
  POST from a mail client and is protected by its signed link instead.
- :func:`require` gives the current session when its role is among those allowed, and raises
  otherwise: :class:`SignInRequired` (the pages redirect to the sign-in form) or
  :class:`~gardien.errors.PermissionDeniedError` (403).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from gardien.domain.cookies import CSRF, HOST_PREFIX, SESSION
from gardien.errors import BusyError, CsrfError, PermissionDeniedError, SignInRequired
from gardien.services.accounts.sessions import (
    CurrentSession,
    peek_session,
    read_session,
    session_needs_write,
)
from gardien.settings import Environment
from gardien.store.uow import UnitOfWork
from gardien.web.deps import get_container

# The names come from the one list the notice states (domain/cookies.py).
SESSION_COOKIE = SESSION.name
CSRF_COOKIE = CSRF.name
CSRF_FIELD = "csrf"
_UNSET = object()


def secure_cookies(request: Request) -> bool:
    return get_container(request).settings.environment is not Environment.DEVELOPMENT


def cookie_name(request: Request, name: str) -> str:
    """``name`` as this environment sends it (``__Host-`` prefixed outside development)."""
    return f"{HOST_PREFIX}{name}" if secure_cookies(request) else name


def read_cookie(request: Request, name: str) -> str | None:
    return request.cookies.get(cookie_name(request, name))


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        cookie_name(request, name),
        value,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        cookie_name(request, SESSION_COOKIE),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


def _csrf_key(request: Request) -> bytes:
    secret = get_container(request).settings.secret_key.get_secret_value()
    return hmac.new(secret.encode(), b"gardien/csrf", hashlib.sha256).digest()


def csrf_token(request: Request) -> str:
    """The token the forms of this page carry, bound to the session or to the seed cookie."""
    token = read_cookie(request, SESSION_COOKIE)
    seed = getattr(request.state, "csrf_seed", "")
    bound = f"session:{token}" if token else f"anon:{seed}"
    return hmac.new(_csrf_key(request), bound.encode(), hashlib.sha256).hexdigest()


def _expected_token(request: Request) -> str | None:
    """The one token this visitor's forms carry: bound to the session cookie when there is
    one (a token bound to the seed cookie is then refused: a planted seed forges nothing),
    else to the seed cookie."""
    token = read_cookie(request, SESSION_COOKIE)
    seed = read_cookie(request, CSRF_COOKIE)
    if token:
        bound = f"session:{token}"
    elif seed:
        bound = f"anon:{seed}"
    else:
        return None
    return hmac.new(_csrf_key(request), bound.encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, form: Any) -> None:
    """Refuse a form whose ``csrf`` field is not the token of this visitor's cookies."""
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not sent:
        raise CsrfError("missing CSRF token")
    expected = _expected_token(request)
    if expected is None or not hmac.compare_digest(sent, expected):
        raise CsrfError("CSRF token does not match")


def current_session(request: Request) -> CurrentSession | None:
    """The live session of the request's cookie (read once per request), or None."""
    cached = getattr(request.state, "session", _UNSET)
    if cached is None or isinstance(cached, CurrentSession):
        return cached
    token = read_cookie(request, SESSION_COOKIE)
    session = None
    if token:
        container = get_container(request)
        now, timeouts = container.clock.now(), container.accounts().timeouts
        # Most requests only read the session; a write transaction (on SQLite, the database's
        # write lock) is taken only when the row must be touched or deleted.
        with UnitOfWork(container.engine) as uow:
            write = session_needs_write(uow.connection, token, now=now, timeouts=timeouts)
            if not write:
                session = read_session(uow.connection, token, now=now, timeouts=timeouts)
        if write:
            try:
                # The touch can wait for a later request: it never holds this one up.
                with UnitOfWork(container.engine, write=True, wait=False) as uow:
                    session = read_session(uow.connection, token, now=now, timeouts=timeouts)
                    uow.commit()
            except BusyError:
                # Another writer holds the database: the touch (or the deletion of an ended
                # session) is left to a later request and the page is served at once; an
                # ended session is not honoured meanwhile.
                with UnitOfWork(container.engine) as uow:
                    session = peek_session(uow.connection, token, now=now, timeouts=timeouts)
    request.state.session = session
    return session


def require(request: Request, *roles: str) -> CurrentSession:
    """The signed-in session, when its role is one of ``roles`` and every factor was given."""
    session = current_session(request)
    if session is None or not session.second_factor_done:
        raise SignInRequired("sign in first")
    if session.account.role not in roles:
        raise PermissionDeniedError(f"this page is not open to the role {session.account.role}")
    return session


def page_extras(request: Request) -> dict[str, Any]:
    """What every page's template gets: the CSRF token of its forms and who is signed in."""
    session = current_session(request)
    signed_in = session if session is not None and session.second_factor_done else None
    return {"csrf": csrf_token(request), "signed_in": signed_in}

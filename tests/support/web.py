"""Signing in over real HTTP in tests: accounts straight in the database, forms with CSRF.

``make_account`` writes an active account with an Argon2id hash of ``password`` (and a TOTP
secret for DPO and admin roles); ``WebClient`` keeps cookies like a browser, reads each
form's CSRF token from the page that shows it, and signs in through the real form (the second
factor too, with a code computed for the server's fixed clock).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine, insert

from gardien.domain.totp import totp
from gardien.services.accounts.passwords import PasswordHasher
from gardien.services.accounts.sealing import seal
from gardien.services.accounts.signin import TOTP_SEAL
from gardien.settings import DEFAULT_SECRET
from gardien.store.tables import account

PASSWORD = "correct horse battery staple 42"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_HASHER = PasswordHasher()
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def make_account(
    engine: Engine,
    *,
    email: str,
    role: str,
    created_at: datetime,
    password: str = PASSWORD,
    learner_id: int | None = None,
    sponsor_contact_id: int | None = None,
    second_factor: bool | None = None,
    secret_key: str = DEFAULT_SECRET,
) -> int:
    """An active account; DPO and admin accounts get :data:`TOTP_SECRET` unless told not to,
    sealed as the server keeps it (with ``secret_key``, the server's GARDIEN_SECRET_KEY)."""
    if second_factor is None:
        second_factor = role in ("dpo", "admin")
    with engine.begin() as connection:
        return int(
            connection.execute(
                insert(account)
                .values(
                    email=email,
                    role=role,
                    learner_id=learner_id,
                    sponsor_contact_id=sponsor_contact_id,
                    password_hash=_HASHER.hash(password),
                    totp_secret=seal(secret_key, TOTP_SEAL, TOTP_SECRET) if second_factor else None,
                    created_at=created_at,
                    activated_at=created_at,
                    password_changed_at=created_at,
                )
                .returning(account.c.id)
            ).scalar_one()
        )


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = _CSRF.search(html)
    if found is None:
        raise AssertionError("the page has no form with a CSRF token")
    return found.group(1)


@dataclass
class WebClient:
    """A cookie-keeping HTTP client on ``base``, as one browser would be."""

    base: str
    client: httpx.Client

    @classmethod
    def open(cls, base: str) -> WebClient:
        return cls(base, httpx.Client(base_url=base, follow_redirects=False, timeout=30.0))

    def close(self) -> None:
        self.client.close()

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post_form(
        self, path: str, data: dict[str, str], *, form_page: str | None = None
    ) -> httpx.Response:
        """POST ``data`` to ``path`` with the CSRF token read from ``form_page`` (or ``path``)."""
        page = self.client.get(form_page or path)
        return self.client.post(path, data={**data, "csrf": csrf_of(page.text)})

    def sign_in(self, email: str, password: str = PASSWORD, *, at: datetime | None = None) -> None:
        """Sign in through the form; with ``at`` (the server's clock), give the TOTP code too."""
        answer = self.post_form("/account/sign-in", {"email": email, "password": password})
        if answer.status_code != 303:
            raise AssertionError(f"sign-in refused: {answer.status_code}")
        if answer.headers["location"].endswith("/account/second-factor"):
            if at is None:
                raise AssertionError("this account needs a second factor: pass the server's clock")
            answer = self.post_form("/account/second-factor", {"code": totp(TOTP_SECRET, at)})
            if answer.status_code != 303:
                raise AssertionError(f"second factor refused: {answer.status_code}")


def form_post(url: str, data: dict[str, str] | None = None) -> httpx.Response:
    """POST a public form as a browser would: open its page first (for the CSRF cookie and
    token), then send it; ``url`` is both the page and the form's action."""
    with httpx.Client(timeout=30.0) as client:
        page = client.get(url)
        return client.post(url, data={**(data or {}), "csrf": csrf_of(page.text)})

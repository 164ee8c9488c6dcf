"""Every page of issue 17, reached as a person reaches it, in a running gardien.

The data enters through the real paths: the contracts and the sponsor space by the import
(tests/support/sponsor_samples.py), accounts as the invitation leaves them
(tests/support/web.py), learning activity as statements a platform POSTs to ``/xapi/statements``
(tests/support/lrs.py). Visitors fill the forms in the browser; the links a request sends by
e-mail are read from the outbox, as a mailbox would show them.

A *stop* is a page in a given state: ``STOPS`` names them in the order a walk may take them,
the erasures last (each erases its learner for good).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Response
from sqlalchemy import Engine, select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import learner, outbox_message
from tests.support.browser import HEIGHT
from tests.support.lrs import Activity, post_activity, register_client
from tests.support.server import running_server
from tests.support.sponsor_samples import load_sponsor_space
from tests.support.transmission_samples import email
from tests.support.web import PASSWORD, make_account

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
CONTACT = "claire.rh@example.org"  # Menuiserie Fictive SAS's contact (sponsor_samples)
CONTRACT = "C-EMP"  # one of its contracts, with two learners
PATH_IRI = "https://learning.example.org/paths/fle-a2"
ACTIVITY = (
    Activity("launched", PATH_IRI, datetime(2026, 5, 20, 9, 0, tzinfo=UTC)),
    Activity("passed", f"{PATH_IRI}/modules/m1", datetime(2026, 5, 20, 11, 0, tzinfo=UTC), 0.84),
    Activity("failed", f"{PATH_IRI}/modules/m2", datetime(2026, 5, 28, 14, 0, tzinfo=UTC), 0.3),
    Activity("attempted", f"{PATH_IRI}/modules/m3", datetime(2026, 5, 29, 16, 0, tzinfo=UTC)),
)
# Learners with an account and activity: Bob (OPCO: his dossier outlives erasure), Ana (CPF),
# Chloé and Dan (their employer's plan). Chloé's account comes with the sponsor space.
LEARNERS = ("bob", "ana", "chloe", "dan")
# Who reads « Mes données » and its forms; who objects and who erases, at each width (an
# objection or an erasure changes the page for good: each width gets a learner of its own).
READER = "bob"
OBJECTORS = {1280: "chloe", 390: "dan"}
ERASERS = {1280: "ana", 390: "bob"}
# What a person must never read on their own pages: column names, raw statuses, JSON, IRIs
# (each seen there before issue 17: trainee_name in what erasure keeps, identity_check in
# their requests).
RAW = (
    "statement_id",
    "enrolled_at",
    "score_scaled",
    "in_progress",
    "trainee_name",
    "identity_check",
    '{"',
    "http://adlnet.gov",
)


@dataclass
class Site:
    """A running gardien with the samples, its database, and the browser sessions opened."""

    base: str
    engine: Engine
    browser: Browser
    axe: Path | None = None
    # Cookies of each account once signed in, so that each signs in once.
    sessions: dict[str, Any] = field(default_factory=dict)
    visitors: int = 0  # how many filled the request form: each comes with an address of their own

    def context(self, width: int, *, who: str | None = None) -> BrowserContext:
        """A fresh French-speaking browser at ``width``, signed in as ``who`` if given."""
        state = self._signed_in(who) if who else None
        context = self.browser.new_context(
            viewport={"width": width, "height": HEIGHT},
            locale="fr-FR",
            storage_state=state,
        )
        if self.axe is not None:
            context.add_init_script(path=self.axe)
        return context

    def _signed_in(self, who: str) -> Any:
        if who not in self.sessions:
            context = self.browser.new_context(locale="fr-FR")
            page = context.new_page()
            goto(page, f"{self.base}/account/sign-in")
            page.fill("#email", who)
            page.fill("#password", PASSWORD)
            submit(page, 'form[action$="/account/sign-in"]')
            if page.url.endswith("/account/sign-in"):
                raise AssertionError(f"sign-in refused: {page.url}")
            self.sessions[who] = context.storage_state()
            context.close()
        return self.sessions[who]

    def mailed_link(self, kind: str, recipient: str, path: str) -> str:
        """The link of the last ``kind`` e-mail to ``recipient``: what their mailbox shows."""
        with self.engine.connect() as connection:
            body = connection.execute(
                select(outbox_message.c.body)
                .where(outbox_message.c.kind == kind, outbox_message.c.recipient == recipient)
                .order_by(outbox_message.c.id.desc())
                .limit(1)
            ).scalar_one()
        found = re.search(rf"http://127\.0\.0\.1:\d+({re.escape(path)}/\S+)", body)
        if not found:
            raise AssertionError(f"no {path} link in the {kind} e-mail")
        return self.base + found.group(1)


@contextmanager
def served_site(workdir: Path, browser: Browser) -> Iterator[Site]:
    """gardien on a fresh SQLite database in ``workdir`` with the samples and the activity."""
    url = f"sqlite:///{workdir / 'pages.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_sponsor_space(engine)
    with engine.begin() as connection:
        ids = dict(
            connection.execute(
                select(learner.c.email, learner.c.id).where(
                    learner.c.email.in_([email(name) for name in LEARNERS])
                )
            ).all()
        )
    for name in LEARNERS:
        if name != "chloe":
            make_account(
                engine,
                email=email(name),
                role="learner",
                learner_id=ids[email(name)],
                created_at=NOW,
            )
    platform = register_client(engine)
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW.isoformat()}
    try:
        with running_server(env, timeout=90.0) as base:
            for name in LEARNERS:
                post_activity(base, platform, email(name), ACTIVITY)
            yield Site(base, engine, browser)
    finally:
        engine.dispose()


def goto(page: Page, url: str) -> None:
    """Open ``url``; fail unless it answers a page (not an error)."""
    answered = page.goto(url)
    _answered(answered, url)


def submit(page: Page, form: str) -> None:
    """Press the submit button of the ``form`` (a CSS selector) and wait for the next page."""
    with page.expect_navigation() as navigation:
        page.locator(form).locator('button[type="submit"], input[type="submit"]').first.click()
    _answered(navigation.value, form)


def _answered(response: Response | None, what: str) -> None:
    if response is None or response.status >= 400:
        status = response.status if response else "nothing"
        raise AssertionError(f"{what} answered {status}")


@dataclass(frozen=True)
class Stop:
    """A page in a given state: who sees it, how they get there, whether it shows their data."""

    name: str
    visit: Callable[[Site, Page, int], None]
    who: Callable[[int], str | None] = lambda width: None
    personal: bool = False  # a learner's own page: no raw field name, status, JSON or IRI


def _open(path: str) -> Callable[[Site, Page, int], None]:
    def visit(site: Site, page: Page, width: int) -> None:
        goto(page, site.base + path)

    return visit


def _request(site: Site, page: Page, width: int) -> str:
    """Fill the request form as a visitor; their address."""
    site.visitors += 1
    address = f"visiteur.{site.visitors}@example.org"
    goto(page, f"{site.base}/requests")
    page.fill("#email", address)
    page.check('input[name="kind"][value="access"]')
    submit(page, 'form[action$="/requests"]')
    return address


def _request_sent(site: Site, page: Page, width: int) -> None:
    _request(site, page, width)


def _request_verify(site: Site, page: Page, width: int) -> None:
    address = _request(site, page, width)
    goto(page, site.mailed_link("request_verify", address, "/requests/verify"))


def _request_status(site: Site, page: Page, width: int) -> None:
    address = _request(site, page, width)
    goto(page, site.mailed_link("request_verify", address, "/requests/verify"))
    page.fill("#email", address)
    submit(page, 'form[action*="/requests/verify/"]')
    goto(page, site.mailed_link("request_filed", address, "/requests/status"))


def _rectification(site: Site, page: Page, width: int) -> None:
    goto(page, f"{site.base}/my-data")
    form = 'form[action$="/my-data/rectify"]'
    page.locator(form).locator('[name="given_name"]').fill("Robert")
    submit(page, form)


def _objection(site: Site, page: Page, width: int) -> None:
    goto(page, f"{site.base}/my-data")
    submit(page, 'form[action$="/my-data/object"]')


def _erasure(site: Site, page: Page, width: int) -> None:
    """The erasure form, before anything is erased: on « Mes données », or the page it links."""
    goto(page, f"{site.base}/my-data")
    link = page.locator('a[href$="/my-data/erase"]')
    if link.count():
        with page.expect_navigation():
            link.first.click()


def _erased(site: Site, page: Page, width: int) -> None:
    _erasure(site, page, width)
    form = page.locator('form[action$="/my-data/erase"]')
    form.locator('[name="password"]').fill(PASSWORD)
    form.locator('[name="confirm"]').check()
    submit(page, 'form[action$="/my-data/erase"]')


def _learner(name: str) -> Callable[[int], str]:
    return lambda width: email(name)


STOPS = (
    Stop("home", _open("/")),
    Stop("newsletter", _open("/newsletter")),
    Stop("contact", _open("/contact")),
    Stop("notice-fr", _open("/confidentialite")),
    Stop("notice-en", _open("/privacy")),
    Stop("request-form", _open("/requests")),
    Stop("request-sent", _request_sent),
    Stop("request-verify", _request_verify),
    Stop("request-status", _request_status, personal=True),
    Stop("my-data", _open("/my-data"), _learner(READER), personal=True),
    Stop("rectification", _rectification, _learner(READER), personal=True),
    Stop("objection", _objection, lambda width: email(OBJECTORS[width]), personal=True),
    Stop("erasure", _erasure, _learner(READER), personal=True),
    Stop("sponsor", _open("/sponsor"), lambda width: CONTACT),
    Stop("sponsor-contract", _open(f"/sponsor/contracts/{CONTRACT}"), lambda width: CONTACT),
    # Last: each erases its learner.
    Stop("erased", _erased, lambda width: email(ERASERS[width]), personal=True),
)

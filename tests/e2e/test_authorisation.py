"""The authorisation matrix, over real HTTP: every protected route × every role × another
person's object. No access where none is due, and nothing changed by a refused request.

Every route of the app is either in :data:`PROTECTED` (with the roles it is open to) or in
:data:`PUBLIC`; a route in neither fails the test, so a new page cannot ship unclassified.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from gardien.bootstrap import bootstrap
from gardien.services.requests import record_request
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import (
    account,
    commercial_contact,
    contact_message,
    contract,
    learner,
    newsletter_subscription,
    sponsor,
    sponsor_contact,
    subject_request,
)
from gardien.web.app import create_app
from tests.support.lrs import Activity, post_activity, register_client
from tests.support.purges import started_run
from tests.support.routes import api_routes, unprefixed
from tests.support.server import running_server
from tests.support.transmission_samples import load_contracts
from tests.support.web import WebClient, csrf_of, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
ROLES = ("anonymous", "learner", "sponsor_contact", "dpo", "admin")
LEARNER, OTHER_LEARNER = "chloe.plan@example.org", "eve.ecole@example.org"
CONTACT, OTHER_CONTACT = "rh.menuiserie@example.com", "vie.scolaire@example.com"
DPO, ADMIN = "dpo.matrix@example.org", "admin.matrix@example.org"
MODULE = "https://learning.example.org/paths/fle-a2/modules/m1"

# Route (method, path without the /en prefix) -> the roles it is open to.
PROTECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/my-data"): frozenset({"learner"}),
    ("POST", "/my-data/export"): frozenset({"learner"}),
    ("POST", "/my-data/rectify"): frozenset({"learner"}),
    ("POST", "/my-data/object"): frozenset({"learner"}),
    ("POST", "/my-data/erase"): frozenset({"learner"}),
    ("GET", "/console"): frozenset({"dpo"}),
    ("GET", "/console/messages"): frozenset({"dpo"}),
    ("GET", "/console/messages/{message_id}"): frozenset({"dpo"}),
    ("POST", "/console/messages/{message_id}/reply"): frozenset({"dpo"}),
    ("POST", "/console/messages/{message_id}/answered"): frozenset({"dpo"}),
    ("GET", "/console/history"): frozenset({"dpo"}),
    ("POST", "/console/history"): frozenset({"dpo"}),
    ("GET", "/console/requests/{reference}"): frozenset({"dpo"}),
    ("POST", "/console/requests/{reference}/extend"): frozenset({"dpo"}),
    ("POST", "/console/requests/{reference}/complete"): frozenset({"dpo"}),
    ("POST", "/console/requests/{reference}/refuse"): frozenset({"dpo"}),
    ("POST", "/console/requests/{reference}/erase"): frozenset({"dpo"}),
    ("POST", "/console/requests/{reference}/object"): frozenset({"dpo"}),
    ("GET", "/console/purges"): frozenset({"dpo"}),
    ("POST", "/console/purges"): frozenset({"dpo"}),
    ("GET", "/console/purges/preview"): frozenset({"dpo"}),
    ("GET", "/console/purges/runs/{run}"): frozenset({"dpo"}),
    ("GET", "/console/requests/{reference}/erase"): frozenset({"dpo"}),
    ("GET", "/console/requests/{reference}/send-export"): frozenset({"dpo"}),
    ("POST", "/console/requests/{reference}/send-export"): frozenset({"dpo"}),
    ("GET", "/console/requests/{reference}/rectify"): frozenset({"dpo"}),
    ("POST", "/console/requests/{reference}/rectify"): frozenset({"dpo"}),
    ("POST", "/console/requests/{reference}/rectify/confirm"): frozenset({"dpo"}),
    ("GET", "/sponsor"): frozenset({"sponsor_contact"}),
    ("GET", "/sponsor/contracts/{reference}"): frozenset({"sponsor_contact"}),
    ("GET", "/sponsor/csv/{reference}"): frozenset({"sponsor_contact"}),
    ("GET", "/admin/accounts"): frozenset({"admin"}),
    ("POST", "/admin/accounts/invite"): frozenset({"admin"}),
    ("POST", "/admin/accounts/{account_id}/reset-second-factor"): frozenset({"admin"}),
    ("GET", "/account/recovery-codes"): frozenset({"dpo", "admin"}),
    ("POST", "/account/recovery-codes"): frozenset({"dpo", "admin"}),
    ("GET", "/admin/accounts/invite-contact"): frozenset({"admin"}),
    ("POST", "/admin/accounts/invite-contact"): frozenset({"admin"}),
    **{
        (method, f"/admin/accounts/{{account_id}}/{action}"): frozenset({"admin"})
        for method in ("GET", "POST")
        for action in ("deactivate", "reactivate", "resend", "role")
    },
}
# Open to everyone, each for a reason: public pages, forms that identify the person
# themselves (sign-in, reset, requests by e-mail link), signed links, machine APIs with their
# own credentials (xAPI Basic, API bearer token), and the pages that route a session.
PUBLIC: set[tuple[str, str]] = {
    ("GET", "/"),
    ("GET", "/health"),
    ("GET", "/ready"),
    # Counts only; a Bearer token of its own when GARDIEN_METRICS_TOKEN is set (web/metrics.py).
    ("GET", "/metrics"),
    ("GET", "/static/gardien.css"),
    ("GET", "/confidentialite"),
    ("GET", "/privacy"),
    ("GET", "/newsletter"),
    ("POST", "/newsletter"),
    ("GET", "/newsletter/confirm/{token}"),
    ("POST", "/newsletter/confirm/{token}"),
    ("GET", "/newsletter/unsubscribe/{token}"),
    ("POST", "/newsletter/unsubscribe/{token}"),
    ("GET", "/contact"),
    ("POST", "/contact"),
    ("GET", "/account"),
    ("GET", "/account/sign-in"),
    ("POST", "/account/sign-in"),
    ("GET", "/account/second-factor"),
    ("POST", "/account/second-factor"),
    ("GET", "/account/second-factor/recovery"),
    ("POST", "/account/second-factor/recovery"),
    ("POST", "/account/sign-out"),
    ("GET", "/account/reset"),
    ("POST", "/account/reset"),
    ("GET", "/account/activate/{token}"),
    ("POST", "/account/activate/{token}"),
    ("GET", "/account/reset/{token}"),
    ("POST", "/account/reset/{token}"),
    ("GET", "/requests"),
    ("POST", "/requests"),
    ("GET", "/requests/verify/{token}"),
    ("POST", "/requests/verify/{token}"),
    ("GET", "/requests/status/{token}"),
    # A single-use download link answering an access request: the token is the credential.
    ("GET", "/requests/export/{token}"),
    ("POST", "/requests/export/{token}"),
    ("GET", "/dev/mail"),
    ("GET", "/dev/mail/{name}"),
}
MACHINE_PREFIXES = ("/xapi", "/api/")


def test_every_route_is_classified() -> None:
    app = create_app(bootstrap(database_url="sqlite://"))
    found = set()
    for path, route in api_routes(app.routes):
        if path.startswith(MACHINE_PREFIXES):
            continue
        for method in route.methods - {"HEAD"}:
            found.add((method, unprefixed(path)))
    unknown = found - set(PROTECTED) - PUBLIC
    assert not unknown, f"routes neither protected nor declared public: {sorted(unknown)}"
    assert set(PROTECTED) <= found, "the matrix names routes the app does not have"


# -- one server, one account per role (and a second one to own "another person's" objects) ---


def _contact(engine: Engine, sponsor_ref: str, email: str) -> int:
    with engine.begin() as connection:
        sponsor_id = connection.execute(
            select(sponsor.c.id).where(sponsor.c.ref == sponsor_ref)
        ).scalar_one()
        return int(
            connection.execute(
                insert(sponsor_contact)
                .values(sponsor_id=sponsor_id, name="Contact Fictif", email=email)
                .returning(sponsor_contact.c.id)
            ).scalar_one()
        )


def _learner_id(engine: Engine, email: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(learner.c.id).where(learner.c.email == email)).scalar_one()
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'matrix.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_contracts(engine)
    for email in (LEARNER, OTHER_LEARNER):
        make_account(
            engine,
            email=email,
            role="learner",
            learner_id=_learner_id(engine, email),
            created_at=NOW,
        )
    make_account(
        engine,
        email=CONTACT,
        role="sponsor_contact",
        sponsor_contact_id=_contact(engine, "SP-EMP", CONTACT),
        created_at=NOW,
    )
    make_account(
        engine,
        email=OTHER_CONTACT,
        role="sponsor_contact",
        sponsor_contact_id=_contact(engine, "SP-SCH", OTHER_CONTACT),
        created_at=NOW,
    )
    dpo_id = make_account(engine, email=DPO, role="dpo", created_at=NOW)
    make_account(engine, email=ADMIN, role="admin", created_at=NOW)
    with engine.begin() as connection:
        # An objection by the other learner: "another person's" request.
        theirs = record_request(
            connection,
            now=NOW,
            email=OTHER_LEARNER,
            kind="erasure",
            identity_check="email_link",
            actor="requester",
        )
        # The same person's access and rectification, for the pages that answer those kinds.
        their_other = {
            kind: record_request(
                connection,
                now=NOW,
                email=OTHER_LEARNER,
                kind=kind,
                identity_check="email_link",
                actor="requester",
            ).reference
            for kind in ("access", "rectification")
        }
        connection.execute(
            insert(newsletter_subscription).values(
                email=OTHER_LEARNER,
                status="confirmed",
                created_at=NOW,
                consent_at=NOW,
                consent_source="website:/newsletter",
                consent_notice_version="v",
                consent_wording="Oui",
                confirmed_at=NOW,
            )
        )
        # A message through the contact form: the console's messages pages show it.
        message_id = connection.execute(
            insert(contact_message)
            .values(
                name="Other Learner",
                email=OTHER_LEARNER,
                message="Une question.",
                received_at=NOW,
                last_exchange_at=NOW,
                lang="fr",
            )
            .returning(contact_message.c.id)
        ).scalar_one()
    platform = register_client(engine)
    run = started_run(engine, NOW)  # a purge the console shows
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW.isoformat()}
    with running_server(env) as base:
        # Both learners' activity, sent by their e-learning platform to the LRS.
        activity = {
            email: post_activity(
                base, platform, email, [Activity("attempted", MODULE, NOW.replace(day=12))]
            )
            for email in (LEARNER, OTHER_LEARNER)
        }
        clients: dict[str, WebClient] = {}
        for role, email in (
            ("anonymous", None),
            ("learner", LEARNER),
            ("sponsor_contact", CONTACT),
            ("dpo", DPO),
            ("admin", ADMIN),
        ):
            clients[role] = WebClient.open(base)
            if email is not None:
                clients[role].sign_in(email, at=NOW)
        other = WebClient.open(base)
        other.sign_in(OTHER_CONTACT)
        yield {
            "engine": engine,
            "clients": clients,
            "other_contact": other,
            "their_request": theirs.reference,
            "message_id": message_id,
            "their_other": their_other,
            "activity": activity,
            # An account an admin may act on (and whose second factor a refused reset clears).
            "dpo_id": dpo_id,
            "run": run,
        }
        for client in [*clients.values(), other]:
            client.close()
    engine.dispose()


def _fill(path: str, site: dict[str, Any]) -> str:
    if path.startswith(("/sponsor/contracts/", "/sponsor/csv/")):
        return path.replace("{reference}", "C-EMP")
    if path.endswith("/send-export"):
        return path.replace("{reference}", site["their_other"]["access"])
    if "/rectify" in path:
        return path.replace("{reference}", site["their_other"]["rectification"])
    # An account an admin may act on: the DPO's (every action's page answers for it).
    path = path.replace("{account_id}", str(site["dpo_id"]))
    path = path.replace("{message_id}", str(site["message_id"]))
    return path.replace("{reference}", site["their_request"]).replace("{run}", str(site["run"]))


def _snapshot(engine: Engine) -> dict[str, Any]:
    """What a refused request must never change."""
    with engine.connect() as connection:
        return {
            "learner": connection.execute(select(learner).order_by(learner.c.id)).all(),
            "requests": connection.execute(
                select(
                    subject_request.c.reference,
                    subject_request.c.status,
                    subject_request.c.extended_to,
                ).order_by(subject_request.c.id)
            ).all(),
            "accounts": connection.execute(
                select(
                    account.c.email,
                    account.c.role,
                    account.c.password_hash,
                    account.c.totp_secret,
                    account.c.recovery_codes,
                    account.c.deactivated_at,
                    account.c.invitation_nonce,
                ).order_by(account.c.id)
            ).all(),
            "subscriptions": connection.execute(select(newsletter_subscription.c.email)).all(),
            "commercial": connection.execute(select(commercial_contact.c.email)).all(),
            "contracts": connection.execute(select(contract.c.reference)).all(),
            "messages": connection.execute(
                select(contact_message.c.answered_at, contact_message.c.reply)
            ).all(),
        }


_FORM = {
    "format": "json",
    "given_name": "Intrus",
    "family_name": "Intrus",
    "confirm": "yes",
    "password": "correct horse battery staple 42",
    "reason": "no reason",
    "note": "done",
    "email": "nouveau.dpo@example.org",
    "role": "dpo",
}


def _token(client: WebClient) -> str:
    # Any page with a form gives this visitor's CSRF token (session-bound once signed in).
    return csrf_of(client.get("/account/reset").text)


# Every route × every role, except the allowed actions (POST): those change data and are shown
# by their own tests (portal, console, admin); here a GET that is allowed must answer 200.
CASES = [
    (method, path, role)
    for (method, path), allowed in sorted(PROTECTED.items())
    for role in ROLES
    if not (method == "POST" and role in allowed)
]


@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize(("method", "path", "role"), CASES)
def test_no_access_where_none_is_due(
    site: dict[str, Any], role: str, method: str, path: str, prefix: str
) -> None:
    allowed = role in PROTECTED[(method, path)]
    client = site["clients"][role]
    before = _snapshot(site["engine"])
    target = prefix + _fill(path, site)
    if method == "GET":
        answer = client.get(target)
    else:
        answer = client.client.post(target, data={**_FORM, "csrf": _token(client)})
    if role == "anonymous":
        if method == "GET":
            assert answer.status_code == 303
            assert answer.headers["location"] == f"{prefix}/account/sign-in"
        else:
            assert answer.status_code == 401
    elif not allowed:
        assert answer.status_code == 403, answer.text[:300]
    else:
        assert answer.status_code == 200, answer.text[:300]
    assert _snapshot(site["engine"]) == before


def test_a_sponsor_contact_never_sees_another_sponsors_contract(site: dict[str, Any]) -> None:
    mine, theirs = site["clients"]["sponsor_contact"], site["other_contact"]
    assert mine.get("/sponsor/contracts/C-EMP").status_code == 200
    assert theirs.get("/sponsor/contracts/C-EMP").status_code == 404
    assert mine.get("/sponsor/contracts/C-SCH").status_code == 404
    assert theirs.get("/sponsor/contracts/C-SCH").status_code == 200
    # An unknown reference answers exactly like another sponsor's: references do not leak.
    assert mine.get("/sponsor/contracts/C-NONE").status_code == 404
    listing = mine.get("/sponsor").text
    assert (
        "C-EMP" in listing
        and "C-SCH" not in listing
        and "Dan" in mine.get("/sponsor/contracts/C-EMP").text
    )


def test_a_learner_sees_only_their_own_data(site: dict[str, Any]) -> None:
    client = site["clients"]["learner"]
    page = client.get("/my-data").text
    assert LEARNER in page
    assert OTHER_LEARNER not in page and "Écolier" not in page and "Plançon" not in page
    download = client.client.post("/my-data/export", data={"format": "json", "csrf": csrf_of(page)})
    assert download.status_code == 200
    assert download.json()["subject"] == {"email": LEARNER}
    assert OTHER_LEARNER not in download.text
    # Their own statements, and not the other learner's.
    statements = [
        record["fields"]["statement_id"]
        for category in download.json()["categories"]
        for record in category["records"]
        if record["record"] == "activity_statement"
    ]
    assert statements == site["activity"][LEARNER]
    assert all(theirs not in download.text for theirs in site["activity"][OTHER_LEARNER])
    # The other person's request is not among "my requests", nor reachable by reference.
    assert site["their_request"] not in page
    assert client.get(f"/console/requests/{site['their_request']}").status_code == 403


def test_the_dpo_reaches_any_request_but_not_the_portal(site: dict[str, Any]) -> None:
    dpo = site["clients"]["dpo"]
    page = dpo.get(f"/console/requests/{site['their_request']}")
    assert page.status_code == 200 and site["their_request"] in page.text
    assert dpo.get("/console/requests/DSR-NOSUCHREF0").status_code == 404
    assert dpo.get("/my-data").status_code == 403


def test_every_protected_form_refuses_a_missing_or_foreign_csrf_token(
    site: dict[str, Any],
) -> None:
    before = _snapshot(site["engine"])
    anonymous_token = _token(site["clients"]["anonymous"])
    for (method, path), roles in sorted(PROTECTED.items()):
        if method != "POST":
            continue
        role = sorted(roles)[0]
        client = site["clients"][role]
        for token in (None, "0" * 64, anonymous_token):
            data = dict(_FORM)
            if token is not None:
                data["csrf"] = token
            answer = client.client.post(_fill(path, site), data=data)
            assert answer.status_code == 403, (path, token, answer.text[:200])
            assert re.search(r"(expired|expiré)", answer.text), answer.text[:300]
    assert _snapshot(site["engine"]) == before

"""The admin's forms over real HTTP: each mistake has its own words under its own field (and in
the summary at the top), and a change that cannot be made says why, changing nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import account, sponsor, sponsor_contact
from tests.support.server import running_server
from tests.support.transmission_samples import load_contracts
from tests.support.web import WebClient, csrf_of, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
ADMIN, DPO = "admin.formulaires@example.org", "dpo.formulaires@example.org"
TAKEN = "Cette adresse a déjà un compte d'un autre type : retrouvez-le dans la liste."


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('admin') / 'admin.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_contracts(engine)
    admin_id = make_account(engine, email=ADMIN, role="admin", created_at=NOW)
    dpo_id = make_account(engine, email=DPO, role="dpo", created_at=NOW)
    with engine.connect() as connection:
        employer = connection.execute(
            select(sponsor.c.id).where(sponsor.c.ref == "SP-EMP")
        ).scalar_one()
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_NOW": NOW.isoformat()}
    with running_server(env) as base:
        client = WebClient.open(base)
        client.sign_in(ADMIN, at=NOW)
        yield {
            "engine": engine,
            "client": client,
            "admin": admin_id,
            "dpo": dpo_id,
            "employer": employer,
        }
        client.close()
    engine.dispose()


def _counts(site: dict[str, Any]) -> tuple[int, int]:
    with site["engine"].connect() as connection:
        accounts = connection.execute(select(func.count()).select_from(account)).scalar_one()
        contacts = connection.execute(
            select(func.count()).select_from(sponsor_contact)
        ).scalar_one()
    return int(accounts), int(contacts)


def _errors(html: str) -> dict[str, str]:
    """Each field's message, by the field its id names, checked to be tied to its input."""
    found = dict(
        re.findall(
            r'<p class="field-error" id="([\w-]+)-error">'
            r'<span class="visually-hidden">[^<]*</span>([^<]+)</p>',
            html,
        )
    )
    summary = html.split('class="error-summary"')[1].split("</div>")[0]
    for name, text in found.items():
        assert re.search(rf'aria-describedby="[^"]*{name}-error', html), name
        assert text in summary, name
    # Every link of the summary leads to an element of the page.
    for anchor in re.findall(r'href="#([\w-]+)"', summary):
        assert f'id="{anchor}"' in html, anchor
    return {name: text.replace("&#39;", "'") for name, text in found.items()}


def _post(site: dict[str, Any], path: str, data: dict[str, str]) -> Any:
    client: WebClient = site["client"]
    token = csrf_of(client.get("/admin/accounts").text)
    return client.client.post(path, data={**data, "csrf": token})


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (
            {},
            {
                "sponsor": "Choisissez le commanditaire.",
                "email": "Saisissez l'adresse électronique du contact.",
            },
        ),
        (
            {"sponsor": "999999", "email": "compta@example.com"},
            {
                "sponsor": "Ce commanditaire n'existe pas ou ses données ont été anonymisées : "
                "cherchez de nouveau."
            },
        ),
        (
            {"sponsor": "{employer}", "email": "pas une adresse"},
            {"email": "Cette adresse électronique n'est pas valide."},
        ),
        (
            {"sponsor": "{employer}", "email": DPO, "name": "Double"},
            {"email": TAKEN},
        ),
        (
            {"sponsor": "{employer}", "email": "nouveau.contact@example.com"},
            {
                "name": "Ce commanditaire n'a pas encore de contact à cette adresse : "
                "saisissez le nom du contact."
            },
        ),
    ],
)
def test_each_mistake_inviting_a_contact_has_its_own_message(
    site: dict[str, Any], form: dict[str, str], expected: dict[str, str]
) -> None:
    before = _counts(site)
    sent = {key: value.replace("{employer}", str(site["employer"])) for key, value in form.items()}
    answer = _post(site, "/admin/accounts/invite-contact", sent)
    assert answer.status_code == 400
    assert _errors(answer.text) == expected
    assert _counts(site) == before


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (
            {"email": "", "role": "learner"},
            {
                "email": "Saisissez l'adresse électronique de la personne.",
                "role": "Choisissez le rôle : DPO ou administrateur.",
            },
        ),
        ({"email": DPO, "role": "dpo"}, {"email": "Cette adresse a déjà un compte actif."}),
        (
            {"email": DPO, "role": "admin"},
            {"email": TAKEN},
        ),
    ],
)
def test_each_mistake_inviting_staff_has_its_own_message(
    site: dict[str, Any], form: dict[str, str], expected: dict[str, str]
) -> None:
    before = _counts(site)
    answer = _post(site, "/admin/accounts/invite", form)
    assert answer.status_code == 400
    assert _errors(answer.text) == expected
    assert _counts(site) == before


def test_a_change_that_cannot_be_made_says_why(site: dict[str, Any]) -> None:
    own = _post(site, f"/admin/accounts/{site['admin']}/deactivate", {})
    assert own.status_code == 409
    assert "Vous ne pouvez pas faire cela à votre propre compte." in own.text
    learner_role = _post(site, f"/admin/accounts/{site['dpo']}/role", {"role": "learner"})
    assert learner_role.status_code == 409
    assert "Seuls les comptes du personnel changent de rôle" in learner_role.text
    # The page of an action that does not apply says so instead of offering a button.
    page = site["client"].get(f"/admin/accounts/{site['dpo']}/resend")
    assert page.status_code == 200
    assert "il n&#39;y a pas d&#39;invitation à renvoyer" in page.text
    assert "Envoyer une nouvelle invitation" not in page.text
    assert site["client"].get("/admin/accounts/999999/deactivate").status_code == 404
    with site["engine"].connect() as connection:
        rows = connection.execute(
            select(account.c.role, account.c.deactivated_at).where(
                account.c.id.in_([site["admin"], site["dpo"]])
            )
        ).all()
    assert sorted(rows) == [("admin", None), ("dpo", None)]

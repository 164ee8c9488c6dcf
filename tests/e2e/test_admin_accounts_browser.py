"""An administrator in a real browser (Debian's Chromium, JavaScript off) manages accounts:
filters the list, deactivates a DPO (whose open session is signed out at their next page),
reactivates them, makes them an administrator, invites a DPO and sends the invitation again
(read from a real SMTP server: the first link is refused, the second works), and invites a
sponsor's contact by choosing the sponsor from a search, not by an internal reference.

The admin pages are then checked, in a context where only axe runs (the pages run no script),
at 1280 px and 390 px: no sideways scrolling, no serious or critical WCAG 2.2 AA violation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from gardien.domain.totp import totp
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import account, sponsor_contact
from tests.a11y import axe
from tests.support.browser import WIDTHS, chromium, horizontal_overflow
from tests.support.mailbox import send_outbox
from tests.support.server import free_port, running_server
from tests.support.smtp import SmtpServer, smtp_server
from tests.support.transmission_samples import load_contracts
from tests.support.web import PASSWORD, TOTP_SECRET, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
ADMIN = "admin.bureau@example.org"
DPO = "dpo.equipe@example.org"
NEW_DPO = "dpo.recrue@example.org"
CONTACT = "paie.menuiserie@example.com"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _mails_to(smtp: SmtpServer, recipient: str) -> list[str]:
    return [
        m.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        for m in smtp.messages
        if recipient in str(m["To"])
    ]


def _link(body: str) -> str:
    found = re.findall(r"http://127\.0\.0\.1:\d+/(?:en/)?account/activate/\S+", body)
    assert found, body
    return str(found[-1])


def _sign_in(page: Page, base: str, email: str, code_at: datetime) -> None:
    page.goto(f"{base}/account/sign-in")
    page.get_by_label("Votre adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/account/second-factor")
    page.get_by_label("Code").fill(totp(TOTP_SECRET, code_at))
    page.get_by_role("button", name="Confirmer").click()


def _rows(page: Page) -> list[str]:
    return [row.inner_text() for row in page.locator("table.data-table tbody tr").all()]


def _role_of(url: str, email: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            found: str = connection.execute(
                select(account.c.role).where(account.c.email == email)
            ).scalar_one()
            return found
    finally:
        engine.dispose()


def test_an_admin_manages_accounts_in_a_browser(
    browser: Browser, axe_script: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'admin.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_contracts(engine)
    make_account(engine, email=ADMIN, role="admin", created_at=NOW)
    make_account(engine, email=DPO, role="dpo", created_at=NOW)
    engine.dispose()
    port = free_port()
    with smtp_server() as smtp:
        env = {
            "GARDIEN_DATABASE_URL": url,
            "GARDIEN_NOW": NOW.isoformat(),
            "GARDIEN_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "GARDIEN_SMTP_PORT": str(smtp.port),
        }
        with running_server(env, port=port) as base:
            admin_context = browser.new_context(java_script_enabled=False, locale="fr-FR")
            admin = admin_context.new_page()
            # Each account has its own replay guard: one code each at the server's clock.
            _sign_in(admin, base, ADMIN, NOW)
            admin.wait_for_url(f"{base}/admin/accounts")
            dpo_context = browser.new_context(java_script_enabled=False, locale="fr-FR")
            dpo = dpo_context.new_page()
            _sign_in(dpo, base, DPO, NOW)
            dpo.wait_for_url(f"{base}/console")

            # Filters: role, state, part of the address.
            admin.get_by_label("Rôle", exact=True).select_option(
                label="Délégué à la protection des données"
            )
            admin.get_by_label("État").select_option(label="actif")
            admin.get_by_label("L'adresse contient").fill("EQUIPE")
            admin.get_by_role("button", name="Afficher les comptes").click()
            admin.wait_for_url(re.compile(r".*\?role=dpo&state=active&q=EQUIPE$"))
            [row] = _rows(admin)
            assert DPO in row and ADMIN not in row
            admin.get_by_label("Rôle", exact=True).select_option(label="Administrateur")
            admin.get_by_role("button", name="Afficher les comptes").click()
            admin.wait_for_url(re.compile(r".*role=admin.*"))
            assert _rows(admin) == []
            expect(admin.get_by_text("0 compte trouvé.")).to_be_visible()
            admin.get_by_role("link", name="Effacer les filtres").click()
            admin.wait_for_url(f"{base}/admin/accounts")
            assert len(_rows(admin)) == 2
            # The admin's own row has no way to lock them out.
            mine = admin.locator("table.data-table tbody tr", has_text=ADMIN)
            assert mine.get_by_role("link", name=re.compile("Désactiver")).count() == 0

            # Deactivate the DPO: a page says what will happen, the button does it.
            admin.get_by_role("link", name=f"Désactiver {DPO}").click()
            expect(admin.get_by_role("heading", name="Désactiver ce compte ?")).to_be_visible()
            admin.get_by_role("button", name="Désactiver le compte").click()
            admin.wait_for_url(f"{base}/admin/accounts?done=deactivated")
            expect(admin.get_by_role("status")).to_contain_text("Le compte est désactivé")
            assert "désactivé" in admin.locator("tr", has_text=DPO).inner_text()
            # The DPO's open session is over at their next page.
            dpo.goto(f"{base}/console")
            assert dpo.url == f"{base}/account/sign-in"

            # Reactivate: the DPO signs in again (a code of the next step: no replay).
            admin.get_by_role("link", name=f"Réactiver {DPO}").click()
            admin.get_by_role("button", name="Réactiver le compte").click()
            admin.wait_for_url(f"{base}/admin/accounts?done=reactivated")
            assert "actif" in admin.locator("tr", has_text=DPO).inner_text()
            _sign_in(dpo, base, DPO, NOW + timedelta(seconds=30))
            dpo.wait_for_url(f"{base}/console")

            # Change the role: the DPO becomes an administrator, at their next page.
            admin.get_by_role("link", name=f"Changer le rôle ({DPO})").click()
            expect(admin.get_by_text("Nouveau rôle : Administrateur.")).to_be_visible()
            admin.get_by_role("button", name="Changer le rôle").click()
            admin.wait_for_url(f"{base}/admin/accounts?done=role")
            assert "Administrateur" in admin.locator("tr", has_text=DPO).inner_text()
            assert _role_of(url, DPO) == "admin"
            assert dpo.goto(f"{base}/console").status == 403  # type: ignore[union-attr]

            # Invite a DPO, then send the invitation again: only the newer link works.
            admin.get_by_label("Son adresse électronique").fill(NEW_DPO)
            admin.get_by_label("Délégué à la protection des données").check()
            admin.get_by_role("button", name="Envoyer l'invitation").click()
            admin.wait_for_url(f"{base}/admin/accounts?done=invited")
            assert "invité" in admin.locator("tr", has_text=NEW_DPO).inner_text()
            send_outbox(env)
            admin.get_by_role("link", name=f"Renvoyer l'invitation ({NEW_DPO})").click()
            admin.get_by_role("button", name="Envoyer une nouvelle invitation").click()
            admin.wait_for_url(f"{base}/admin/accounts?done=resent")
            send_outbox(env)
            first, second = _mails_to(smtp, NEW_DPO)
            assert "compte de membre du personnel" in second and "second facteur" in second
            visitor = browser.new_context(java_script_enabled=False, locale="fr-FR")
            invited = visitor.new_page()
            refused = invited.goto(_link(first))
            assert refused is not None and refused.status == 400
            expect(invited.get_by_role("heading", name="Ce lien n'est pas valide")).to_be_visible()
            accepted = invited.goto(_link(second))
            assert accepted is not None and accepted.status == 200
            expect(invited.locator('input[type="password"]').first).to_be_visible()
            visitor.close()

            # Invite a sponsor's contact: search the sponsor by name, choose it, type the
            # address; this contact was never imported, so their name is asked for.
            admin.get_by_role("link", name="Inviter le contact d'un commanditaire").click()
            admin.get_by_label("Nom du commanditaire, ou une partie").fill("menuis")
            admin.get_by_role("button", name="Rechercher").click()
            admin.wait_for_url(re.compile(r".*/admin/accounts/invite-contact\?q=menuis$"))
            choice = admin.get_by_role("radio", name=re.compile("Menuiserie Fictive SAS"))
            assert admin.get_by_role("radio").count() == 1
            choice.check()
            admin.get_by_label("Adresse électronique du contact").fill("pas-une-adresse")
            admin.get_by_role("button", name="Envoyer l'invitation").click()
            expect(admin.locator("#email-error")).to_contain_text("n'est pas valide")
            admin.get_by_label("Adresse électronique du contact").fill(CONTACT)
            admin.get_by_role("button", name="Envoyer l'invitation").click()
            expect(admin.locator("#name-error")).to_contain_text("saisissez le nom du contact")
            assert admin.locator(".error-summary a[href='#name']").count() == 1
            admin.get_by_label("Nom du contact").fill("Paule Fictive")
            admin.get_by_role("button", name="Envoyer l'invitation").click()
            admin.wait_for_url(f"{base}/admin/accounts?done=invited")
            assert "Menuiserie Fictive SAS" in admin.locator("tr", has_text=CONTACT).inner_text()
            send_outbox(env)
            [contact_mail] = _mails_to(smtp, CONTACT)
            assert "en tant que contact de Menuiserie Fictive SAS" in contact_mail
            assert "contrats de formation de Menuiserie Fictive SAS" in contact_mail
            assert "toutes les données que nous détenons sur vous" not in contact_mail
            check = make_engine(url)
            with check.connect() as connection:
                assert (
                    connection.execute(
                        select(sponsor_contact.c.name).where(sponsor_contact.c.email == CONTACT)
                    ).scalar_one()
                    == "Paule Fictive"
                )
            check.dispose()

            # The admin pages, as the admin sees them, at both widths.
            state = admin_context.storage_state()
            dpo_id_row = admin.locator("tr", has_text=DPO)
            role_url = dpo_id_row.get_by_role(
                "link", name=re.compile("Changer le rôle")
            ).get_attribute("href")
            admin_context.close()
            dpo_context.close()
            pages = {
                "list": "/admin/accounts",
                "list-filtered": "/admin/accounts?state=invited",
                "confirm": str(role_url),
                "invite-contact": "/admin/accounts/invite-contact?q=e",
                "invite-contact-none": "/en/admin/accounts/invite-contact?q=zzz",
            }
            found = _look_at(browser, axe_script, state, base, pages, shots=tmp_path)
    assert found == []


def _look_at(
    browser: Browser,
    axe_script: Path,
    state: object,
    base: str,
    pages: dict[str, str],
    *,
    shots: Path,
) -> list[str]:
    """Every problem of ``pages`` at every width, one line each (screenshots in ``shots``)."""
    found: list[str] = []
    for width in WIDTHS:
        context: BrowserContext = browser.new_context(
            viewport={"width": width, "height": 900},
            locale="fr-FR",
            storage_state=state,  # type: ignore[arg-type]
        )
        context.add_init_script(path=axe_script)
        page = context.new_page()
        for name, path in pages.items():
            answer = page.goto(f"{base}{path}")
            assert answer is not None and answer.status == 200, (name, path)
            page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
            wider = horizontal_overflow(page)
            if wider:
                found.append(f"{name}-{width}: {wider} px wider than the window")
            found += [f"{name}-{width}: {v.line()}" for v in axe.blocking(page)]
        context.close()
    return found

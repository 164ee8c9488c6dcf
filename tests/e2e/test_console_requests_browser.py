"""The DPO answers each kind of request from the console, in a real browser with JavaScript
off (Debian's Chromium driven by Playwright), and the people read the answers in e-mails a
real SMTP server (aiosmtpd) received from ``gardien outbox send``.

- access without an account: check, send; the person downloads their data once from the
  link, a second time is refused (410), and a link past its end too (a server started later);
- erasure: the check page lists what is held and what the law keeps, then the erasure, and
  the person's e-mail says what went and what stays, with their request's page;
- rectification: the fields corrected (check, change, record); a refusal needs its reason.

Then the new pages, at 1280 px and 390 px: no sideways scrolling, no serious or critical axe
finding (tests/a11y/axe.py; axe needs the browser's JavaScript, the pages none).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine, select

from gardien.domain.totp import totp
from gardien.services.requests import record_request
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import audit_entry, learner, subject_request
from tests.a11y import axe
from tests.support.browser import WIDTHS, chromium, horizontal_overflow, visible_text
from tests.support.mailbox import link, mail_to, send_outbox
from tests.support.server import free_port, running_server
from tests.support.smtp import smtp_server
from tests.support.sweep_people import CURIOUS, load_messages
from tests.support.transmission_samples import load_contracts
from tests.support.web import PASSWORD, TOTP_SECRET, make_account

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
FILED = NOW - timedelta(days=3)  # 29/05/2026 at 12:00 in Paris
DPO = "dpo.demandes@example.org"
SECRET = "console-requests-browser-secret"
ANA, BOB, CHLOE = "ana.cpf@example.org", "bob.opco@example.org", "chloe.plan@example.org"
DAN, EVE, FAY = "dan.plan@example.org", "eve.ecole@example.org", "fay.web@example.org"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _file(engine: Engine, email: str, kind: str, lang: str, message: str = "") -> str:
    details: dict[str, Any] = {"lang": lang}
    if message:
        details["message"] = message
    with engine.begin() as connection:
        return record_request(
            connection,
            now=FILED,
            email=email,
            kind=kind,
            identity_check="email_link",
            details=details,
            actor="requester",
        ).reference


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[dict[str, Any]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('answers') / 'answers.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_contracts(engine)
    load_messages(engine)
    make_account(engine, email=DPO, role="dpo", created_at=NOW, secret_key=SECRET)
    refs = {
        "access": _file(engine, ANA, "access", "en", "I would like a copy of my data."),
        "late": _file(engine, CHLOE, "access", "fr"),
        "erasure": _file(engine, BOB, "erasure", "fr", "Effacez tout, merci."),
        "rectify": _file(engine, DAN, "rectification", "fr", "Mon adresse est mal écrite."),
        "refuse": _file(engine, EVE, "rectification", "fr"),
        "a11y-access": _file(engine, FAY, "access", "fr"),
        "a11y-erasure": _file(engine, CURIOUS, "erasure", "fr"),
        "a11y-rectify": _file(engine, FAY, "rectification", "fr", "Une faute dans mon nom."),
    }
    port = free_port()
    with smtp_server() as smtp:
        env = {
            "GARDIEN_DATABASE_URL": url,
            "GARDIEN_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "GARDIEN_SMTP_PORT": str(smtp.port),
            "GARDIEN_SECRET_KEY": SECRET,
            "GARDIEN_NOW": NOW.isoformat(),
        }
        with running_server(env, port=port) as base:
            # The DPO signs in once (a TOTP code is accepted once): every context reuses it.
            context = browser.new_context(java_script_enabled=False, locale="fr-FR")
            page = context.new_page()
            page.goto(f"{base}/account/sign-in")
            page.get_by_label("Votre adresse électronique").fill(DPO)
            page.get_by_label("Mot de passe").fill(PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            page.get_by_label("Code").fill(totp(TOTP_SECRET, NOW))
            page.get_by_role("button", name="Confirmer").click()
            page.wait_for_url(f"{base}/console")
            state = context.storage_state()
            context.close()
            yield {
                "base": base,
                "env": env,
                "engine": engine,
                "smtp": smtp,
                "refs": refs,
                "state": state,
                "browser": browser,
            }
    engine.dispose()


def _dpo(site: dict[str, Any], *, js: bool = False, width: int = 1280) -> BrowserContext:
    context: BrowserContext = site["browser"].new_context(
        java_script_enabled=js,
        locale="fr-FR",
        storage_state=site["state"],
        viewport={"width": width, "height": 900},
    )
    return context


def audit(engine: Engine, action: str) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(audit_entry).where(audit_entry.c.action == action)))


def status_of(engine: Engine, reference: str) -> str:
    with engine.connect() as connection:
        found: str = connection.execute(
            select(subject_request.c.status).where(subject_request.c.reference == reference)
        ).scalar_one()
    return found


def _send_link(page: Page, base: str, reference: str) -> None:
    """As the DPO: from the request's page, to the check page, then send."""
    page.goto(f"{base}/console/requests/{reference}")
    page.get_by_role("link", name="Préparer l'envoi").click()
    expect(
        page.get_by_role("heading", name="Vérifiez avant d'envoyer ses données à la personne")
    ).to_be_visible()
    page.get_by_role("button", name="Envoyer le lien").click()
    expect(page.get_by_role("status")).to_have_text(
        "Le lien de téléchargement est envoyé ; la demande est traitée."
    )


def test_an_access_request_is_answered_with_a_link_that_works_once(
    site: dict[str, Any], tmp_path: Path
) -> None:
    base, reference = site["base"], site["refs"]["access"]
    context = _dpo(site)
    page = context.new_page()
    page.goto(f"{base}/console/requests/{reference}")
    text = visible_text(page)
    # « Précisions » in words, times in Paris time: no JSON, no UTC.
    assert "Ce que la personne a écrit\nI would like a copy of my data." in text
    assert "Sa langue (pour les courriels)\nanglais" in text
    assert "29/05/2026 12:00" in text and "UTC" not in text and '{"' not in text
    page.get_by_role("link", name="Préparer l'envoi").click()
    check = visible_text(page)
    assert ANA in check and "Une fois, pendant 7 jours : jusqu'au 08/06/2026 12:00" in check
    assert "Compte d'apprenant" in check  # what the file will hold, by kind of record
    assert status_of(site["engine"], reference) == "open"  # nothing sent before the button
    page.get_by_role("button", name="Envoyer le lien").click()
    expect(page.get_by_role("status")).to_have_text(
        "Le lien de téléchargement est envoyé ; la demande est traitée."
    )
    assert status_of(site["engine"], reference) == "completed"
    context.close()

    send_outbox(site["env"])
    subject, body = mail_to(site["smtp"], ANA, reference)
    assert subject == f"Your request {reference}: your data is ready to download"
    assert "until 8 June 2026 12:00 (Paris time)" in body
    download_link = link(body, "/requests/export")
    assert "/en/requests/export/" in download_link
    assert link(body, "/requests/status").startswith(f"{base}/en/requests/status/")

    person = site["browser"].new_context(java_script_enabled=False, locale="en-GB")
    page = person.new_page()
    page.goto(download_link)
    expect(page.get_by_role("heading", name="Download your data")).to_be_visible()
    with page.expect_download() as caught:
        page.get_by_role("button", name="Download my data").click()
    saved = tmp_path / "export.json"
    caught.value.save_as(saved)
    exported = json.loads(saved.read_text(encoding="utf-8"))
    assert exported["subject"] == {"email": ANA} and exported["found"] is True

    # The follow-up page says what answered the request.
    follow = person.new_page()
    follow.goto(link(body, "/requests/status"))
    expect(follow.locator("main")).to_contain_text(
        "a link to download your data; it works once, until 8 June 2026."
    )

    again = page.goto(download_link)
    assert again is not None and again.status == 410
    expect(page.get_by_role("heading", name="This link was used already")).to_be_visible()
    person.close()
    [downloaded] = audit(site["engine"], "request.export_downloaded")
    assert downloaded.details == {"request": reference, "format": "json"}


def test_a_download_link_past_its_end_is_refused(site: dict[str, Any]) -> None:
    reference = site["refs"]["late"]
    context = _dpo(site)
    _send_link(context.new_page(), site["base"], reference)
    context.close()
    send_outbox(site["env"])
    _subject, body = mail_to(site["smtp"], CHLOE, reference)
    assert "Le lien fonctionne une fois, jusqu'au 08/06/2026 12:00 (heure de Paris)." in body
    path = link(body, "/requests/export").split(":", 2)[2].partition("/")[2]

    # Eight days later: the same database, served by a server whose clock says so.
    later = {**site["env"], "GARDIEN_NOW": (NOW + timedelta(days=8)).isoformat()}
    later.pop("GARDIEN_PUBLIC_URL")
    with running_server(later) as base:
        person = site["browser"].new_context(java_script_enabled=False, locale="fr-FR")
        page = person.new_page()
        answer = page.goto(f"{base}/{path}")
        assert answer is not None and answer.status == 410
        expect(page.get_by_role("heading", name="Ce lien a expiré")).to_be_visible()
        person.close()
    downloads = audit(site["engine"], "request.export_downloaded")
    assert reference not in [entry.details["request"] for entry in downloads]


def test_an_erasure_is_checked_carried_out_and_told(site: dict[str, Any]) -> None:
    base, reference, engine = site["base"], site["refs"]["erasure"], site["engine"]
    context = _dpo(site)
    page = context.new_page()
    page.goto(f"{base}/console/requests/{reference}")
    page.get_by_role("link", name="Voir ce qui sera effacé").click()
    check = visible_text(page)
    assert "Compte d'apprenant\t1" in check
    assert "Dossier OPCO OPCO-AG-1 — conservation jusqu'au 30/06/2032" in check
    assert "obligation légale, RGPD, art. 6(1)(c)" in check
    with engine.connect() as connection:
        assert connection.execute(select(learner.c.id).where(learner.c.email == BOB)).first()
    page.get_by_role("button", name="Effacer maintenant").click()
    expect(page.get_by_role("status")).to_have_text(
        "L'effacement est fait et la personne est informée par courriel ; la demande est traitée."
    )
    done = visible_text(page)
    assert "Dossier OPCO OPCO-AG-1 — conservation jusqu'au 30/06/2032" in done
    assert "Compte d'apprenant (1)" in done
    context.close()
    with engine.connect() as connection:
        assert not connection.execute(select(learner.c.id).where(learner.c.email == BOB)).first()

    send_outbox(site["env"])
    subject, body = mail_to(site["smtp"], BOB, reference)
    # The same e-mail as after an erasure from « Mes données », with the request's page.
    assert subject == f"Vos données sont effacées (demande {reference})"
    assert "Comme vous l'avez demandé" in body
    assert "- Dossier OPCO OPCO-AG-1 — conservation jusqu'au 30/06/2032" in body
    follow = link(body, "/requests/status")
    person = site["browser"].new_context(java_script_enabled=False, locale="fr-FR")
    page = person.new_page()
    page.goto(follow)
    expect(page.get_by_role("heading", name="Vos données sont effacées")).to_be_visible()
    # The page the e-mail links says what is kept in the e-mail's own words.
    assert "Dossier OPCO OPCO-AG-1 — conservation jusqu'au 30/06/2032" in visible_text(page)
    person.close()


def test_a_rectification_is_checked_and_recorded_and_a_refusal_needs_its_reason(
    site: dict[str, Any],
) -> None:
    base, engine = site["base"], site["engine"]
    reference = site["refs"]["rectify"]
    context = _dpo(site)
    page = context.new_page()
    page.goto(f"{base}/console/requests/{reference}")
    page.get_by_role("link", name="Enregistrer la rectification").click()
    # Nothing ticked, nothing written: both errors at once, each tied to its field.
    page.get_by_role("button", name="Continuer").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Cochez au moins un champ que vous avez rectifié.")
    expect(summary).to_contain_text("Écrivez ce qui a été rectifié")
    note = page.get_by_label("Ce qui a été rectifié, pour la personne")
    assert "note-error" in (note.get_attribute("aria-describedby") or "")
    assert note.get_attribute("aria-invalid") == "true"
    page.get_by_label("Compte d'apprenant — adresse électronique").check()
    note.fill("Votre adresse est corrigée.")
    page.get_by_role("button", name="Continuer").click()
    expect(
        page.get_by_role("heading", name="Vérifiez la rectification avant de l'enregistrer")
    ).to_be_visible()
    # Change: back to the form with the answers kept.
    page.get_by_role("button", name="Modifier").click()
    expect(page.get_by_label("Compte d'apprenant — adresse électronique")).to_be_checked()
    expect(page.get_by_label("Ce qui a été rectifié, pour la personne")).to_have_value(
        "Votre adresse est corrigée."
    )
    page.get_by_role("button", name="Continuer").click()
    assert status_of(engine, reference) == "open"
    page.get_by_role("button", name="Enregistrer la rectification").click()
    expect(page.get_by_role("status")).to_have_text(
        "La rectification est enregistrée et la personne informée ; la demande est traitée."
    )
    assert "Champs rectifiés : Adresse électronique" in visible_text(page)
    [entry] = audit(engine, "request.rectified")
    assert entry.details == {"request": reference, "fields": ["learner.email"]}

    # A refusal without its reason: the message under the field, linked from the summary.
    refused = site["refs"]["refuse"]
    page.goto(f"{base}/console/requests/{refused}")
    page.get_by_role("button", name="Clore comme refusée").click()
    reason = page.locator("#refuse-reason")
    assert reason.get_attribute("aria-invalid") == "true"
    assert page.locator("#refuse-reason-error").is_visible()
    assert page.locator('.error-summary a[href="#refuse-reason"]').count() == 1
    assert status_of(engine, refused) == "open"
    reason.fill("Les données en cause sont exactes.")
    page.get_by_role("button", name="Clore comme refusée").click()
    assert status_of(engine, refused) == "refused"
    context.close()

    send_outbox(site["env"])
    for who, ref in ((DAN, reference), (EVE, refused)):
        _subject, body = mail_to(site["smtp"], who, ref)
        assert link(body, "/requests/status").startswith(f"{base}/requests/status/")


# -- the pages at 1280 px and 390 px -----------------------------------------------------------


def _problems(page: Page, name: str, width: int, shots: Path | None = None) -> list[str]:
    if shots is not None:  # for a person to look at (pytest --basetemp keeps them)
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
    found = [f"{name}-{width}: {v.line()}" for v in axe.blocking(page)]
    wider = horizontal_overflow(page)
    if wider:
        found.append(f"{name}-{width}: {wider} px wider than the window")
    return found


@pytest.mark.parametrize("width", WIDTHS)
def test_the_pages_fit_and_are_accessible(
    site: dict[str, Any], axe_script: Path, width: int, tmp_path: Path
) -> None:
    base, refs = site["base"], site["refs"]
    context = _dpo(site, js=True, width=width)
    context.add_init_script(path=axe_script)
    page = context.new_page()
    found: list[str] = []
    for name, path in (
        ("request", f"/console/requests/{refs['a11y-access']}"),
        ("send-export", f"/console/requests/{refs['a11y-access']}/send-export"),
        ("erase", f"/console/requests/{refs['a11y-erasure']}/erase"),
        ("rectify", f"/console/requests/{refs['a11y-rectify']}/rectify"),
        ("closed-request", f"/console/requests/{refs['erasure']}"),
    ):
        page.goto(f"{base}{path}")
        found += _problems(page, name, width, tmp_path)
    # The form with its errors, then its check page.
    page.goto(f"{base}/console/requests/{refs['a11y-rectify']}/rectify")
    page.get_by_role("button", name="Continuer").click()
    found += _problems(page, "rectify-errors", width, tmp_path)
    page.locator('input[name="fields"]').first.check()
    page.get_by_label("Ce qui a été rectifié, pour la personne").fill("Nom corrigé.")
    page.get_by_role("button", name="Continuer").click()
    found += _problems(page, "rectify-check", width, tmp_path)
    context.close()
    assert not found, "\n".join(found)


def test_the_person_s_download_pages_are_accessible(site: dict[str, Any], axe_script: Path) -> None:
    # The link of the first test, used: the "used already" page; and a fresh one's page.
    context = _dpo(site)
    _send_link(context.new_page(), site["base"], site["refs"]["a11y-access"])
    context.close()
    send_outbox(site["env"])
    _subject, body = mail_to(site["smtp"], FAY, site["refs"]["a11y-access"])
    fresh = link(body, "/requests/export")
    found: list[str] = []
    for width in WIDTHS:
        person = site["browser"].new_context(
            locale="fr-FR", viewport={"width": width, "height": 900}
        )
        person.add_init_script(path=axe_script)
        page = person.new_page()
        page.goto(fresh)
        found += _problems(page, "export-link", width)
        person.close()
    person = site["browser"].new_context(java_script_enabled=False, locale="fr-FR")
    page = person.new_page()
    page.goto(fresh)
    with page.expect_download():
        page.get_by_role("button", name="Télécharger mes données").click()
    person.close()
    for width in WIDTHS:
        person = site["browser"].new_context(
            locale="fr-FR", viewport={"width": width, "height": 900}
        )
        person.add_init_script(path=axe_script)
        page = person.new_page()
        answer = page.goto(fresh)
        assert answer is not None and answer.status == 410
        found += _problems(page, "export-used", width)
        person.close()
    assert not found, "\n".join(found)

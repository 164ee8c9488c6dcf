"""The inactivity warning e-mail, rendered from its templates (no database)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from jinja2 import UndefinedError

from gardien.mail import render_mail
from gardien.policy.model import Localized
from gardien.services.inactivity import TEMPLATE


def context(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "given_name": "Camille",
        "controller_name": "Formations Exemple",
        "dpo_email": "dpo@example.org",
        "portal_url": "https://portail.example.org/connexion",
        "rule_label": Localized(fr="Données des apprenants", en="Learners' data"),
        "months": 18,
        "action": "delete",
        "last_activity_day": date(2024, 8, 31),
        "last_kept_day": date(2026, 2, 28),
        "deletion_day": date(2026, 3, 1),
    }
    values.update(changes)
    return values


def test_the_subject_is_one_line_french_then_english() -> None:
    mail = render_mail(TEMPLATE, context())
    assert mail.subject == (
        "Sans connexion de votre part, votre compte Formations Exemple sera supprimé le "
        "1er mars 2026 / Unless you sign in, your Formations Exemple account will be deleted "
        "on 1 March 2026"
    )
    assert len(mail.subject) <= 300  # outbox_message.subject


def test_the_body_says_when_and_how_to_keep_the_account_in_french_then_english() -> None:
    body = render_mail(TEMPLATE, context()).body
    french, _, english = body.partition("-" * 70)
    assert english, "the English version follows a separator line"
    assert "Bonjour Camille," in french
    assert "remonte au 31 août 2024" in french
    assert "« Données des apprenants » : nous les conservons 18 mois" in french
    assert "supprimées à partir du 1er mars 2026" in french
    assert "conservées jusqu'au 28 février 2026 inclus" in french
    assert "https://portail.example.org/connexion" in french
    assert "dpo@example.org" in french
    assert "Hello Camille," in english
    assert "was on 31 August 2024" in english
    assert '"Learners\' data": we keep it for 18 months' in english
    assert "deleted from 1 March 2026" in english
    assert "kept until 28 February 2026 inclusive" in english
    assert "https://portail.example.org/connexion" in english
    assert "Hello" not in french and "Bonjour" not in english
    assert body.endswith("Formations Exemple\n")
    assert "{{" not in body and "{%" not in body and "\n\n\n" not in body


@pytest.mark.parametrize(
    ("day", "fr", "en"),
    [
        (date(2026, 3, 1), "1er mars 2026", "1 March 2026"),
        (date(2027, 8, 4), "4 août 2027", "4 August 2027"),
        (date(2026, 12, 31), "31 décembre 2026", "31 December 2026"),
        (date(2026, 2, 2), "2 février 2026", "2 February 2026"),
    ],
)
def test_dates_are_written_as_people_write_them(day: date, fr: str, en: str) -> None:
    mail = render_mail(TEMPLATE, context(deletion_day=day))
    assert f"le {fr} /" in mail.subject
    assert f"deleted on {en}" in mail.subject
    assert f"à partir du {fr}" in mail.body
    assert f"deleted from {en};" in mail.body


def test_an_anonymising_rule_says_anonymised() -> None:
    body = render_mail(TEMPLATE, context(action="anonymise", months=1)).body
    assert "elles seront anonymisées à partir du" in body
    assert "it will be anonymised from" in body
    assert "for 1 month after" in body


def test_text_is_not_html_escaped() -> None:
    body = render_mail(TEMPLATE, context(given_name="Zoé d'Arc & Cie")).body
    assert "Bonjour Zoé d'Arc & Cie," in body


def test_a_missing_variable_is_an_error_not_a_blank() -> None:
    values = context()
    del values["deletion_day"]
    with pytest.raises(UndefinedError):
        render_mail(TEMPLATE, values)

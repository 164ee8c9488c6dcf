"""The e-mail after an erasure, composed from the result: the page's words, in French or English.

Composing needs no database: the erasure's result, the policy, the request's reference and the
language give the subject and the text body.
"""

from __future__ import annotations

from datetime import date

import pytest

from gardien.errors import UnsupportedLanguageError
from gardien.policy import Policy, load_policy
from gardien.services.erasure import ErasureResult, KeptRecord
from gardien.services.erasure_mail import compose_erasure_mail
from gardien.services.erasure_words import erasure_in_words, kept_in_words
from gardien.store.catalogue import record_catalogue

REFERENCE = "DSR-ABCDEFGH23"
NOTICE = "https://formation.example.org/confidentialite"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(None, catalogue=record_catalogue())


def kept_by(policy: Policy, rule_id: str, key: str, until: date) -> KeptRecord:
    """A record kept by ``rule_id``'s hold, as the erasure service explains it."""
    hold = policy.retention[rule_id].hold
    assert hold is not None
    return KeptRecord(
        record=policy.retention[rule_id].record,
        key=key,
        rule=rule_id,
        fields=[name.partition(".")[2] for name in hold.fields],
        legal_basis=hold.basis.value,
        article=hold.basis.article,
        reason={"fr": hold.reason.fr, "en": hold.reason.en},
        until=until,
    )


def result_keeping(policy: Policy) -> ErasureResult:
    return ErasureResult(
        email="zelie.quintal@example.org",
        as_of=date(2026, 6, 1),
        erased={"learner": 1, "account": 1},
        kept=[
            kept_by(policy, "opco_dossiers", "OPCO-AG-1", date(2032, 6, 30)),
            kept_by(policy, "invoices", "F-2025-0930", date(2035, 12, 31)),
        ],
        recipients=[
            {"recipient": "opco", "contract": "C-1", "transmitted_at": "2026-01-05T10:00:00"},
            {"recipient": "opco", "contract": "C-1", "transmitted_at": "2026-03-05T10:00:00"},
        ],
    )


def test_the_french_email_says_what_is_kept_why_and_until_when(policy: Policy) -> None:
    mail = compose_erasure_mail(
        result_keeping(policy), policy, reference=REFERENCE, lang="fr", notice=NOTICE
    )

    assert mail.subject == f"Vos données sont effacées (demande {REFERENCE})"
    assert mail.body.startswith("Bonjour,\n\n")
    assert (
        f"Votre compte est fermé et vos données sont effacées, le 01/06/2026 "
        f"(demande {REFERENCE})." in mail.body
    )
    assert (
        "- Dossier OPCO OPCO-AG-1 — conservation jusqu'au 30/06/2032\n"
        "  Quoi : Nom du stagiaire, date de début de la formation, date de fin de la formation"
    ) in mail.body
    assert (
        "  Pourquoi : Justification auprès de l'OPCO de la réalisation des actions de formation"
        " financées (obligation légale, RGPD, art. 6(1)(c))\n"
    ) in mail.body
    assert "- Facture F-2025-0930 — conservation jusqu'au 31/12/2035\n" in mail.body
    assert "Quoi : Numéro de facture, émise le, montant total, facturé à" in mail.body
    # The request kept as proof, the recipients told (each once), the accountability trace.
    assert "Elle est supprimée 60 mois après sa clôture." in mail.body
    assert (
        "Nous informons de cet effacement les organismes qui ont reçu vos données : "
        "Opérateur de compétences (OPCO).\n"
    ) in mail.body
    assert "trace pseudonyme de cet effacement" in mail.body
    # The copy in the outbox goes with the outbox rule, and the person is told when.
    assert "notre copie de celui-ci est supprimée 3 mois plus tard" in mail.body
    assert mail.body.endswith(f"Comment nous traitons vos données : {NOTICE}\n")
    # No code name, no address.
    for code in ("opco_dossier", "legal_obligation", "trainee_name", "zelie.quintal"):
        assert code not in mail.body


def test_the_english_email_is_in_english(policy: Policy) -> None:
    notice = "https://formation.example.org/en/privacy"
    mail = compose_erasure_mail(
        result_keeping(policy), policy, reference=REFERENCE, lang="en", notice=notice
    )

    assert mail.subject == f"Your data is erased (request {REFERENCE})"
    assert mail.body.startswith("Hello,\n\n")
    assert "- OPCO dossier OPCO-AG-1 — kept until 30 June 2032\n" in mail.body
    assert "  Why: Proof to the OPCO that the funded training took place" in mail.body
    assert "(legal obligation, GDPR art. 6(1)(c))" in mail.body
    assert "- Invoice F-2025-0930 — kept until 31 December 2035\n" in mail.body
    assert "  What: Invoice number, issued on, total amount, billed to" in mail.body
    assert "Vos données" not in mail.body and "Pourquoi" not in mail.body
    assert mail.body.endswith(f"How we handle your data: {notice}\n")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_email_holds_every_line_the_page_shows(policy: Policy, lang: str) -> None:
    """The page (_kept_records.html) shows these words for each record; so does the e-mail."""
    result = result_keeping(policy)
    mail = compose_erasure_mail(result, policy, reference=REFERENCE, lang=lang, notice=NOTICE)
    words = erasure_in_words(result, policy, reference=REFERENCE, lang=lang)

    assert len(words.kept) == 2
    for item in words.kept:
        assert f"- {item.title} — {item.until}\n" in mail.body
        assert f"{item.what}\n" in mail.body
        assert f"{item.why}\n" in mail.body
    assert words.kept == kept_in_words(result.kept, lang)  # the erasure form's words, too


def test_nothing_kept_is_said_plainly(policy: Policy) -> None:
    result = ErasureResult(email="yann.voisin@example.org", as_of=date(2026, 6, 1))

    mail = compose_erasure_mail(result, policy, reference=REFERENCE, lang="fr", notice=NOTICE)

    assert "Aucune obligation légale ne nous impose de conserver" in mail.body
    assert "Ce que la loi nous oblige à conserver" not in mail.body
    assert "Nous informons" not in mail.body  # nobody received anything


def test_a_record_no_rule_holds_has_no_legal_basis_nor_end() -> None:
    stray = KeptRecord(
        record="invoice",
        key="F-1",
        rule="",
        fields=[],
        legal_basis="",
        article="",
        reason={"fr": "Aucune règle ne le retient.", "en": "No rule holds it."},
        until=None,
    )

    [said] = kept_in_words([stray], "fr")

    assert (said.title, said.until, said.what, said.why) == (
        "Facture F-1",
        "",
        "",
        "Aucune règle ne le retient.",
    )


def test_an_unsupported_language_is_refused(policy: Policy) -> None:
    with pytest.raises(UnsupportedLanguageError):
        compose_erasure_mail(
            result_keeping(policy), policy, reference=REFERENCE, lang="de", notice=NOTICE
        )

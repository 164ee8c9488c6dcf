"""DKIM: signatures that verify, cover the List-Unsubscribe headers, and break when tampered.

Keys are fresh 2048-bit RSA keys made by ``openssl genrsa``; verification asks a stand-in DNS
that knows the one public key record.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import dkim
import pytest

from gardien.errors import ConfigurationError
from gardien.mail.compose import compose, to_bytes
from gardien.mail.dkim import DkimSigner, signer_from_settings
from gardien.settings import Settings
from gardien.store.outbox import QueuedMessage
from tests.support.smtp import dns_record, generate_dkim_key

DOMAIN = "example.org"
SELECTOR = "gardien2026"
NOW = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)
UNSUBSCRIBE = "<https://www.example.org/lettre/desabonnement?jeton=Zm9vYmFy>"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return generate_dkim_key(tmp_path_factory.mktemp("dkim"))


@pytest.fixture(scope="module")
def signer(key: tuple[Path, str]) -> DkimSigner:
    settings = Settings(
        dkim_domain=DOMAIN, dkim_selector=SELECTOR, dkim_private_key_file=key[0]
    ).check()
    made = signer_from_settings(settings)
    assert made is not None
    return made


def message(*, headers: dict[str, str] | None = None) -> bytes:
    row = QueuedMessage(
        id=7,
        dedupe_key="newsletter:2026-07:3",
        kind="newsletter",
        learner_id=None,
        recipient="lectrice.3@example.com",
        subject="Les nouvelles de l'été / Summer news",
        body="Bonjour,\n\nVoici les nouvelles.\n",
        created_at=NOW,
        send_after=NOW,
        sent_at=None,
        attempts=1,
        last_error=None,
        html_body="<p>Bonjour,</p>\n",
        headers=headers,
    )
    return to_bytes(compose(row, mail_from="SEJER <ne-pas-repondre@example.org>", now=NOW))


NEWSLETTER_HEADERS = {
    "List-Unsubscribe": UNSUBSCRIBE,
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


def verifies(signed: bytes, public: str) -> bool:
    return bool(dkim.verify(signed, dnsfunc=dns_record(DOMAIN, SELECTOR, public)))


def tags(signed: bytes) -> dict[str, str]:
    header = signed.split(b"\r\n\r\n", 1)[0].decode("ascii")
    found = re.match(r"DKIM-Signature:(.*?)\r\n(?![ \t])", header, re.DOTALL)
    assert found is not None, "the signature is the first header"
    unfolded = re.sub(r"\s+", "", found.group(1))
    return dict(item.split("=", 1) for item in unfolded.split(";") if item)


def test_a_signed_message_verifies(signer: DkimSigner, key: tuple[Path, str]) -> None:
    signed = signer.sign(message(headers=NEWSLETTER_HEADERS))
    assert verifies(signed, key[1])
    found = tags(signed)
    assert found["a"] == "rsa-sha256"
    assert found["c"] == "relaxed/relaxed"
    assert found["d"] == DOMAIN
    assert found["s"] == SELECTOR


def test_the_signature_covers_the_headers_rfc_8058_requires(signer: DkimSigner) -> None:
    signed_headers = tags(signer.sign(message(headers=NEWSLETTER_HEADERS)))["h"].split(":")
    for name in (
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "list-unsubscribe",
        "list-unsubscribe-post",
    ):
        assert name in signed_headers, name


@pytest.mark.parametrize(
    ("original", "forged"),
    [
        (UNSUBSCRIBE.encode(), b"<https://attacker.example.com/unsubscribe>"),
        (b"List-Unsubscribe=One-Click", b"List-Unsubscribe=Two-Clicks"),
        (b"Subject: Les nouvelles", b"Subject: Des nouvelles"),
        (b"Voici les nouvelles.", b"Voici des nouvelles."),
    ],
)
def test_tampering_breaks_the_signature(
    signer: DkimSigner, key: tuple[Path, str], original: bytes, forged: bytes
) -> None:
    signed = signer.sign(message(headers=NEWSLETTER_HEADERS))
    assert original in signed
    assert verifies(signed, key[1])
    assert not verifies(signed.replace(original, forged), key[1])


def test_list_headers_cannot_be_added_to_a_message_signed_without_them(
    signer: DkimSigner, key: tuple[Path, str]
) -> None:
    signed = signer.sign(message())
    assert verifies(signed, key[1])
    added = signed.replace(
        b"\r\nSubject:", b"\r\nList-Unsubscribe: <https://attacker.example.com/u>\r\nSubject:", 1
    )
    assert not verifies(added, key[1])


def test_refolding_in_transit_keeps_the_signature(
    signer: DkimSigner, key: tuple[Path, str]
) -> None:
    signed = signer.sign(message(headers=NEWSLETTER_HEADERS))
    # A relay that refolds headers: relaxed canonicalisation tolerates it.
    refolded = signed.replace(b"List-Unsubscribe-Post: List", b"List-Unsubscribe-Post:\r\n\tList")
    assert refolded != signed
    assert verifies(refolded, key[1])


def test_no_signer_without_dkim_settings() -> None:
    assert signer_from_settings(Settings()) is None


def test_an_unreadable_key_file_is_a_configuration_error(tmp_path: Path) -> None:
    settings = Settings(
        dkim_domain=DOMAIN, dkim_selector=SELECTOR, dkim_private_key_file=tmp_path / "none.pem"
    )
    with pytest.raises(ConfigurationError, match="GARDIEN_DKIM_PRIVATE_KEY_FILE"):
        signer_from_settings(settings)


def test_a_file_that_is_not_a_key_is_a_configuration_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    settings = Settings(dkim_domain=DOMAIN, dkim_selector=SELECTOR, dkim_private_key_file=bogus)
    with pytest.raises(ConfigurationError, match="not a PEM RSA key"):
        signer_from_settings(settings)


# -- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"GARDIEN_DKIM_DOMAIN": DOMAIN}, "GARDIEN_DKIM_SELECTOR, GARDIEN_DKIM_PRIVATE_KEY_FILE"),
        (
            {"GARDIEN_DKIM_DOMAIN": DOMAIN, "GARDIEN_DKIM_SELECTOR": SELECTOR},
            "GARDIEN_DKIM_PRIVATE_KEY_FILE",
        ),
        ({"GARDIEN_DKIM_PRIVATE_KEY_FILE": "/etc/gardien/dkim.pem"}, "GARDIEN_DKIM_DOMAIN"),
    ],
)
def test_a_partial_dkim_configuration_is_refused(
    monkeypatch: pytest.MonkeyPatch, given: dict[str, str], missing: str
) -> None:
    for name in ("GARDIEN_DKIM_DOMAIN", "GARDIEN_DKIM_SELECTOR", "GARDIEN_DKIM_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert not settings.dkim_enabled
    with pytest.raises(ConfigurationError, match=f"missing: {missing}"):
        settings.check()


def test_empty_dkim_variables_mean_no_dkim(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GARDIEN_DKIM_DOMAIN", "GARDIEN_DKIM_SELECTOR", "GARDIEN_DKIM_PRIVATE_KEY_FILE"):
        monkeypatch.setenv(name, "")
    settings = Settings().check()
    assert not settings.dkim_enabled


def test_a_complete_dkim_configuration_is_accepted(key: tuple[Path, str]) -> None:
    settings = Settings(
        dkim_domain=DOMAIN, dkim_selector=SELECTOR, dkim_private_key_file=key[0]
    ).check()
    assert settings.dkim_enabled


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"smtp_ssl": True, "smtp_starttls": True}, "exclude each other"),
        ({"smtp_username": "gardien"}, "go together"),
        ({"smtp_timeout": 0}, "positive"),
        ({"mail_from": "SEJER"}, "GARDIEN_MAIL_FROM must hold an e-mail address"),
    ],
)
def test_other_unusable_smtp_settings_are_refused(
    settings: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.model_validate(settings).check()

"""``gardien contact list``, ``newsletter send``'s errors, ``serve --dev-mail`` in production."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from gardien.cli.main import main
from gardien.services.website.contact import receive_message
from gardien.store.tables import outbox_message
from gardien.store.uow import UnitOfWork

RECEIVED = datetime(2026, 5, 4, 14, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GARDIEN_POLICY", raising=False)
    monkeypatch.delenv("GARDIEN_NOW", raising=False)


def test_staff_list_the_latest_messages_newest_first(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for n, text in enumerate(["Première question", "Deuxième question"]):
        receive_message(
            UnitOfWork(engine, write=True),
            name=f"Personne {n}",
            email=f"personne{n}@example.org",
            message=text,
            now=RECEIVED + timedelta(hours=n),
        )
    assert main(["--database-url", database_url, "contact", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m["message"] for m in listed] == ["Deuxième question", "Première question"]
    assert listed[0]["email"] == "personne1@example.org"
    assert listed[0]["received_at"] == "2026-05-04T15:30:00+00:00"
    assert main(["--database-url", database_url, "contact", "list", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "Deuxième question" in out and "Première" not in out


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("Bonjour sans sujet\n\nTexte", "expected 'Subject: ...'"),
        ("Subject: Lettre\nLanguage: de\n\nTexte", "language 'de'"),
    ],
)
def test_a_bad_campaign_file_is_refused_and_nothing_is_queued(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    says: str,
) -> None:
    path = tmp_path / "lettre.md"
    path.write_text(content, encoding="utf-8")
    assert main(["--database-url", database_url, "newsletter", "send", str(path)]) == 2
    err = capsys.readouterr().err
    assert says in err and "lettre.md" in err
    missing = tmp_path / "absent.md"
    assert main(["--database-url", database_url, "newsletter", "send", str(missing)]) == 2
    assert "cannot read it" in capsys.readouterr().err
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(outbox_message)).scalar() == 0


def test_the_development_mailbox_is_refused_in_production(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GARDIEN_ENVIRONMENT", "production")
    monkeypatch.setenv("GARDIEN_SECRET_KEY", "gudcDShL5ac5hxCD54Zins-diOArbqoYkxhaM6dJ5JU")
    assert main(["--database-url", database_url, "serve", "--dev-mail"]) == 2
    assert "--dev-mail is for development" in capsys.readouterr().err


def test_two_messages_from_one_address_in_one_instant_are_both_kept(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # A double click under a fixed clock: the second is filed a microsecond later, not a 500.
    ids = [
        receive_message(
            UnitOfWork(engine, write=True),
            name="Personne Pressée",
            email="pressee@example.org",
            message=text,
            now=RECEIVED,
        )
        for text in ("Premier envoi", "Second envoi")
    ]
    assert len(set(ids)) == 2
    assert main(["--database-url", database_url, "contact", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m["message"] for m in listed] == ["Second envoi", "Premier envoi"]
    assert listed[0]["received_at"] == "2026-05-04T14:30:00.000001+00:00"

"""``gardien audit verify`` in-process: exit 0 on an intact chain, 1 naming the broken entry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from gardien.cli.main import main
from gardien.store.audit import append_audit, read_audit_head
from gardien.store.engine import make_engine

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def fill(database_url: str, count: int) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            for number in range(count):
                append_audit(
                    connection,
                    action="sweep.batch",
                    actor="sweep",
                    details={"count": number},
                    recorded_at=START + timedelta(days=number),
                )
    finally:
        engine.dispose()


def tamper(database_url: str, sql: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


def verify(database_url: str, *options: str) -> int:
    return main(["--database-url", database_url, "audit", "verify", *options])


def test_an_intact_chain_exits_0(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    fill(database_url, 3)
    assert verify(database_url) == 0
    captured = capsys.readouterr()
    assert captured.out == "audit chain intact: 3 entries checked\n"
    assert captured.err == ""


def test_an_empty_log_is_intact(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify(database_url) == 0
    assert capsys.readouterr().out == "audit chain intact: 0 entries checked\n"


def test_a_broken_chain_exits_1_naming_the_first_broken_entry(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(database_url, 5)
    tamper(database_url, "UPDATE audit_entry SET actor = 'someone else' WHERE id = 2")
    tamper(database_url, "DELETE FROM audit_entry WHERE id = 4")
    assert verify(database_url) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "gardien: audit chain broken at entry 2: its content does not match its hash\n"
    )


def test_json_reports_the_verified_head(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(database_url, 4)
    assert verify(database_url, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        head = read_audit_head(connection)
    engine.dispose()
    assert head is not None
    assert report == {
        "ok": True,
        "entries_checked": 4,
        "first_broken_id": None,
        "problem": None,
        "head": {
            "last_id": 4,
            "hash": head.hash,
            "anchor_id": 0,
            "anchor_hash": "0" * 64,
        },
    }


def test_json_of_a_broken_chain_exits_1(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(database_url, 4)
    tamper(database_url, "DELETE FROM audit_entry WHERE id = 4")
    assert verify(database_url, "--json") == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["ok"] is False
    assert report["first_broken_id"] == 4
    assert report["problem"] == "entry 4 is missing: the head ends the chain at 4"
    assert captured.err == f"gardien: audit chain broken at entry 4: {report['problem']}\n"


def test_an_unmigrated_database_is_refused(
    empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert verify(empty_database_url) == 2
    captured = capsys.readouterr()
    assert "run 'gardien db upgrade' first" in captured.err
    assert captured.out == ""

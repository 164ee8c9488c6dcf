"""``gardien backup`` on a SQLite file: prune by the policy's rule, and a restore that leaves the
database as it was when the key is wrong, the file altered or the database in use."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from gardien.cli.main import main
from gardien.store.engine import make_engine
from gardien.store.migrate import head_revision, upgrade

KEY = "Vq3xZ9kLm2Np7Rt5Wy8Bc4Df6Gh1Jk0Qs-_AaEeIiOoUu"
OTHER_KEY = "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp-_OoNnMmLlKk"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data" / "gardien.sqlite3"
    path.parent.mkdir()
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("GARDIEN_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("GARDIEN_BACKUP_KEY", KEY)
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def backup_at(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    monkeypatch.setenv("GARDIEN_NOW", when)
    code, _, err = run(capsys, "backup", "create")
    assert code == 0, err


def listed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    code, out, err = run(capsys, "backup", "list", "--json")
    assert code == 0, err
    found: list[dict[str, object]] = json.loads(out)
    return found


def scratch_files(database: Path) -> list[str]:
    return sorted(p.name for p in database.parent.iterdir() if p.name.startswith(".backup-"))


def test_prune_deletes_what_the_policy_rule_no_longer_keeps(
    database: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    backup_at(capsys, monkeypatch, "2026-04-10T03:00:00+00:00")
    backup_at(capsys, monkeypatch, "2026-04-20T03:00:00+00:00")
    backup_at(capsys, monkeypatch, "2026-05-20T03:00:00+00:00")
    assert [b["taken_at"] for b in listed(capsys)] == [
        "2026-04-10T03:00:00+00:00",
        "2026-04-20T03:00:00+00:00",
        "2026-05-20T03:00:00+00:00",
    ]
    monkeypatch.setenv("GARDIEN_NOW", "2026-05-20T04:00:00+00:00")  # 35 days: from 15 April
    code, out, _ = run(capsys, "backup", "prune", "--json")
    assert code == 0
    pruned = json.loads(out)
    assert pruned["days"] == 35
    assert [b["taken_at"] for b in pruned["deleted"]] == ["2026-04-10T03:00:00+00:00"]
    assert [b["taken_at"] for b in listed(capsys)] == [
        "2026-04-20T03:00:00+00:00",
        "2026-05-20T03:00:00+00:00",
    ]
    assert all(b["revision"] == head_revision() for b in listed(capsys))
    assert scratch_files(database) == []  # no plaintext copy left behind


def test_a_wrong_key_restores_nothing(
    database: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    backup_at(capsys, monkeypatch, "2026-05-20T03:00:00+00:00")
    before = database.read_bytes()
    monkeypatch.setenv("GARDIEN_BACKUP_KEY", OTHER_KEY)
    monkeypatch.setenv("GARDIEN_SECRET_KEY", OTHER_KEY + "x")
    code, _, err = run(capsys, "backup", "restore", "latest", "--yes")
    assert code != 0
    assert "wrong key" in err and "GARDIEN_BACKUP_KEY" in err
    assert database.read_bytes() == before
    assert scratch_files(database) == []


def test_an_altered_backup_restores_nothing(
    database: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    backup_at(capsys, monkeypatch, "2026-05-20T03:00:00+00:00")
    [stored] = list((database.parent / "backups").iterdir())
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x20
    stored.write_bytes(bytes(data))
    before = database.read_bytes()
    code, _, err = run(capsys, "backup", "restore", stored.name, "--yes")
    assert code != 0 and "damaged or was altered" in err
    assert database.read_bytes() == before
    assert scratch_files(database) == []


def test_a_database_being_written_is_not_replaced(
    database: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    backup_at(capsys, monkeypatch, "2026-05-20T03:00:00+00:00")
    writer = sqlite3.connect(database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # a sweep, say, in the middle of a batch
        code, _, err = run(capsys, "backup", "restore", "latest", "--yes")
        assert code != 0 and "in use" in err
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    code, out, err = run(capsys, "backup", "restore", "latest", "--yes")
    assert code == 0, err
    assert "erasure replay" in out
    assert scratch_files(database) == []
    connection = sqlite3.connect(database)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        connection.close()


def test_an_unknown_name_is_refused(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "backup", "restore", "../gardien.sqlite3", "--yes")
    assert code != 0 and "not the name of a backup" in err

"""``gardien import FILE`` in-process: exit 0 and a summary, or exit 2 and one line on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from gardien.cli.main import main
from gardien.store.engine import make_engine
from gardien.store.tables import activity_statement
from tests.support.import_samples import full_document, write


def test_import_migrates_an_empty_database_and_reports(
    empty_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "data.json", full_document())
    assert main(["--database-url", empty_database_url, "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "learners: 2 inserted, 0 updated, 0 unchanged" in out
    assert main(["--database-url", empty_database_url, "import", str(path)]) == 0
    assert "learners: 0 inserted, 0 updated, 2 unchanged" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "the file is empty"),
        (b'{"learners": 3}', "learners: must be an array, not a number"),
    ],
)
def test_a_bad_file_exits_2_with_one_line(
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    problem: str,
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    assert main(["--database-url", database_url, "import", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"gardien: {path}: {problem}\n"
    assert captured.out == ""


def test_a_dangling_reference_exits_2(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = full_document()
    document["contracts"][0]["sponsor"] = "SP-NONE"
    path = write(tmp_path / "data.json", document)
    assert main(["--database-url", database_url, "import", str(path)]) == 2
    assert capsys.readouterr().err == (
        f'gardien: {path}: contracts[0] (reference "C-2024-001"): sponsor: '
        'no sponsor "SP-NONE" in the document or the database\n'
    )


def test_import_as_of_stamps_statements_with_that_instant(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "data.json", full_document())
    command = ["--database-url", database_url, "import", str(path), "--as-of", "2026-03-02"]
    assert main(command) == 0
    capsys.readouterr()
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(select(activity_statement.c.stored_at)).scalars().all()
    finally:
        engine.dispose()
    assert stored
    assert {instant.date().isoformat() for instant in stored} == {"2026-03-02"}

"""``gardien notice``: the notice on standard output or in a file; a clear error otherwise."""

from __future__ import annotations

from pathlib import Path

import html5lib
import pytest

from gardien.cli.main import main
from gardien.policy import DEFAULT_POLICY_PATH

GOLDEN = Path(__file__).parents[1] / "golden"


@pytest.fixture(autouse=True)
def _default_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GARDIEN_POLICY", raising=False)


def test_prints_the_notice_in_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notice", "--lang", "en", "--format", "md"]) == 0
    captured = capsys.readouterr()
    assert captured.out == (GOLDEN / "notice.en.md").read_text(encoding="utf-8")
    assert captured.err == ""


def test_french_markdown_is_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notice"]) == 0
    assert capsys.readouterr().out == (GOLDEN / "notice.fr.md").read_text(encoding="utf-8")


def test_writes_a_standalone_html_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "notice.html"
    assert main(["notice", "--lang", "fr", "--format", "html", "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    page = out.read_text(encoding="utf-8")
    html5lib.HTMLParser(strict=True).parse(page)
    assert page.startswith('<!doctype html>\n<html lang="fr">')


def test_uses_the_policy_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    custom = tmp_path / "policy.yaml"
    custom.write_text(text.replace("provider: OVH", "provider: Hébergeur Exemple"), "utf-8")
    assert main(["--policy", str(custom), "notice", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Hosting provider: Hébergeur Exemple" in out
    assert "OVH" not in out.replace("ovhcloud", "")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["notice", "--lang", "de"], "gardien: unsupported language 'de': choose one of fr, en\n"),
        (["notice", "--format", "pdf"], "gardien: Invalid value for '--format'"),
    ],
)
def test_a_bad_option_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(message)
    assert captured.err.count("\n") == 1
    assert captured.out == ""


def test_an_unwritable_out_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing-dir" / "notice.md"
    assert main(["notice", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gardien: --out {out}: cannot write the notice")

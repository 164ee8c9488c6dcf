"""``gardien register``: the GDPR Art. 30 record of processing activities, from the policy."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gardien.cli.context import container, emit
from gardien.errors import ConfigurationError

if TYPE_CHECKING:
    from gardien.services.register import Register


class Format(StrEnum):
    CSV = "csv"
    HTML = "html"
    JSON = "json"


class Lang(StrEnum):
    FR = "fr"
    EN = "en"


def register_command(
    ctx: typer.Context,
    format: Format = typer.Option(Format.CSV, "--format", help="Output format."),
    lang: Lang = typer.Option(Lang.FR, "--lang", help="Language of the register."),
    out: Path | None = typer.Option(
        None, "--out", help="Write the register to this file instead of standard output."
    ),
) -> None:
    """Print the record of processing activities (GDPR art. 30), one row per purpose."""
    from gardien.services.register import build_register

    register = build_register(container(ctx).policy, lang.value)
    text = _render(register, format)
    if out is None:
        emit(text.removesuffix("\n"))
        return
    try:
        # newline="": the text's own line ends, on every platform.
        out.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise ConfigurationError(f"--out {out}: cannot write ({exc.strerror})") from None
    emit(
        f"register written to {out}: {len(register.activities)} processing activities,"
        f" policy {register.policy_version}"
    )


def _render(register: Register, format: Format) -> str:
    from gardien.services.register import as_csv, as_html, as_json

    if format is Format.JSON:
        return json.dumps(as_json(register), indent=2, ensure_ascii=False) + "\n"
    if format is Format.HTML:
        return as_html(register)
    return as_csv(register)

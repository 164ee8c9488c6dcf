"""``gardien notice``: the privacy notice, derived from the policy, in French or English."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from gardien.cli.context import LANGUAGES, container
from gardien.errors import ConfigurationError


class NoticeFormat(StrEnum):
    MD = "md"
    HTML = "html"


def notice_command(
    ctx: typer.Context,
    lang: str = typer.Option(
        LANGUAGES[0], "--lang", help=f"Language of the notice: {', '.join(LANGUAGES)}."
    ),
    fmt: NoticeFormat = typer.Option(
        NoticeFormat.MD, "--format", help="Markdown, or a standalone HTML page."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Write the notice to this file instead of standard output."
    ),
) -> None:
    """Print the privacy notice: every duration, recipient and contact comes from the policy."""
    from gardien.i18n import translations
    from gardien.services.notice import notice_document, render_notice

    translations(lang)  # an unsupported language fails before the policy is even read
    policy = container(ctx).policy
    if fmt is NoticeFormat.HTML:
        text = notice_document(policy, lang)
    else:
        text = render_notice(policy, lang=lang, fmt="md")
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"--out {out}: cannot write the notice ({exc.strerror})") from None

"""``gardien check-config``: what production needs, and what is missing, without a secret shown.

It reads the settings and nothing else (no database, no network): it answers at once, and it
runs whatever the secret key, since saying what is wrong with it is its purpose. Exit 0 when
production has everything it needs, 1 otherwise, 2 when a setting cannot be read at all.
"""

from __future__ import annotations

import typer

from gardien.cli.context import LANGUAGES, GlobalOptions, emit


def check_config_command(
    ctx: typer.Context,
    lang: str = typer.Option(
        LANGUAGES[0], "--lang", help=f"Language of the report: {', '.join(LANGUAGES)}."
    ),
) -> None:
    """Say, for production, each requirement and whether it is met (exit 1 if one is not)."""
    from gardien.i18n import translations
    from gardien.readiness import Status, production_requirements, ready
    from gardien.settings import N_, load_settings

    t = translations(lang)
    settings = load_settings()
    options = ctx.find_root().obj
    assert isinstance(options, GlobalOptions)
    if options.database_url:
        settings = settings.model_copy(update={"database_url": options.database_url})
    if options.policy:
        settings = settings.model_copy(update={"policy": options.policy})
    settings.check_consistency()
    requirements = production_requirements(settings)
    words = {
        Status.MET: t.gettext(N_("ok")),
        Status.MISSING: t.gettext(N_("to do")),
        Status.NOTE: t.gettext(N_("note")),
    }
    status_width = max(len(word) for word in words.values())
    name_width = max(len(item.variable) for item in requirements)
    emit(t.gettext(N_("What production needs (secrets are judged, never shown):")))
    for item in requirements:
        detail = t.gettext(item.detail) % item.values
        if item.hint is not None:
            hint = t.gettext(item.hint) % item.values
            detail = t.gettext(N_("%(detail)s; %(hint)s")) % {"detail": detail, "hint": hint}
        emit(f"  {words[item.status]:<{status_width}}  {item.variable:<{name_width}}  {detail}")
    missing = sum(item.status is Status.MISSING for item in requirements)
    if ready(requirements):
        emit(t.gettext(N_("Ready for production: every requirement is met.")))
        return
    emit(
        t.ngettext(
            "Not ready for production: %(num)d requirement is not met.",
            "Not ready for production: %(num)d requirements are not met.",
            missing,
        )
        % {"num": missing}
    )
    raise typer.Exit(1)

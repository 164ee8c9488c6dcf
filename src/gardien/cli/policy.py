"""``gardien policy``: show the effective policy, check the data model against it."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import typer

from gardien.cli.context import container, emit

app = typer.Typer(
    help="The policy: show it, check the data model against it.", no_args_is_help=True
)


class Format(StrEnum):
    JSON = "json"
    YAML = "yaml"


@app.command("show")
def show(
    ctx: typer.Context,
    format: Format = typer.Option(Format.YAML, "--format", help="Output format."),
) -> None:
    """Print the effective policy (the default one, or the file given), with its version."""
    import yaml

    from gardien.policy import DEFAULT_POLICY_PATH

    app_ = container(ctx)
    policy = app_.policy
    data: dict[str, Any] = {
        "version": policy.version,
        "source": str(app_.settings.policy or DEFAULT_POLICY_PATH),
        **policy.model_dump(mode="json"),
    }
    if format is Format.JSON:
        emit(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        emit(yaml.safe_dump(data, allow_unicode=True, sort_keys=False).rstrip())


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Fail, listing the culprits, when a column is not classified or a category not covered."""
    from gardien.services.policy_check import check_classification
    from gardien.store.tables import metadata

    policy = container(ctx).policy
    summary = check_classification(policy, metadata)
    emit(
        f"policy {policy.version}: {summary.tables} tables, {summary.columns} columns classified"
        f" ({summary.personal_columns} personal), {summary.categories} categories each covered"
        " by a retention rule"
    )

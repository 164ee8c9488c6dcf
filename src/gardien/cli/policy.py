"""``gardien policy``: show the effective policy, check the data model against it."""

from __future__ import annotations

import json
from enum import StrEnum

import typer
import yaml

from gardien.cli.context import container, emit
from gardien.services.policy_check import check_classification
from gardien.store.tables import metadata

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
    policy = container(ctx).policy
    data = {"version": policy.version, **policy.model_dump(mode="json")}
    if format is Format.JSON:
        emit(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        emit(yaml.safe_dump(data, allow_unicode=True, sort_keys=False).rstrip())


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Fail when a column is not classified or a category has no retention rule."""
    policy = container(ctx).policy
    check_classification(policy, metadata)
    columns = sum(len(table.columns) for table in metadata.tables.values())
    emit(
        f"policy {policy.version}: {len(metadata.tables)} tables, {columns} columns classified,"
        f" {len(policy.categories)} categories each covered by a retention rule"
    )

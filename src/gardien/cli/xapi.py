"""``gardien xapi client add|revoke``: the software allowed to send xAPI statements."""

from __future__ import annotations

import json

import typer

from gardien.cli.context import container, emit
from gardien.errors import NotFoundError

app = typer.Typer(help="gardien's Learning Record Store (xAPI).", no_args_is_help=True)
client_app = typer.Typer(help="xAPI clients: authoring tools, LMSs.", no_args_is_help=True)
app.add_typer(client_app, name="client")


@client_app.command("add")
def add_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A name for the client (an LMS, an authoring tool)."),
    as_json: bool = typer.Option(False, "--json", help="Print the credentials as JSON."),
) -> None:
    """Create a client; prints its key and secret once (only a digest of the secret is kept)."""
    from gardien.services.xapi.clients import create_client
    from gardien.store.uow import UnitOfWork

    app_ = container(ctx)
    made = create_client(
        UnitOfWork(app_.migrated_engine(), write=True), name=name, clock=app_.clock
    )
    endpoint = app_.settings.public_url.rstrip("/") + "/xapi/"
    if as_json:
        emit(
            json.dumps(
                {"name": made.name, "key": made.key, "secret": made.secret, "endpoint": endpoint}
            )
        )
        return
    emit(f"client {made.name}\nendpoint {endpoint}\nkey      {made.key}\nsecret   {made.secret}")
    emit("the secret is shown once: store it in the client now")


@client_app.command("revoke")
def revoke_command(
    ctx: typer.Context, name: str = typer.Argument(..., help="The client's name.")
) -> None:
    """Revoke a client: its credentials stop working (within a minute on running servers)."""
    from gardien.store import xapi as store
    from gardien.store.uow import UnitOfWork

    app_ = container(ctx)
    with UnitOfWork(app_.migrated_engine(), write=True) as uow:
        if not store.revoke_client(uow.connection, name, now=app_.clock.now()):
            raise NotFoundError(f"no active xAPI client {name!r}")
        uow.commit()
    emit(f"client {name} revoked")

"""``gardien newsletter send`` and ``gardien contact list``: the website's commands for staff."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from gardien.cli.context import container, emit
from gardien.errors import InvalidInputError

newsletter_app = typer.Typer(help="The newsletter: campaigns to confirmed subscribers.")
contact_app = typer.Typer(help="Messages sent through the contact form.")


@newsletter_app.command("send")
def send_command(
    ctx: typer.Context,
    campaign_file: Path = typer.Argument(
        ..., help="A Markdown file whose first line is 'Subject: ...'."
    ),
    queue_only: bool = typer.Option(
        False, "--queue-only", help="Queue the e-mails; leave sending to 'gardien outbox send'."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Queue CAMPAIGN for every confirmed subscriber, then send what is due.

    Sending again the same file queues nothing more: nobody gets two copies. If the mail server
    is down, the e-mails stay queued and 'gardien outbox send' delivers them later.
    """
    from gardien.services.outbox_sender import SendReport, send_due
    from gardien.services.website.campaign import parse_campaign
    from gardien.services.website.newsletter import queue_campaign
    from gardien.store.uow import UnitOfWork

    app = container(ctx)
    engine = app.migrated_engine()
    try:
        source = campaign_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read it: {exc}", field=str(campaign_file)) from None
    campaign = parse_campaign(source, name=str(campaign_file))
    queued, subscribers = queue_campaign(UnitOfWork(engine, write=True), app.website(), campaign)
    report = SendReport()
    if not queue_only:
        while True:
            run = send_due(engine, settings=app.settings, clock=app.clock)
            report.sent += run.sent
            report.retry_later += run.retry_later
            report.given_up += run.given_up
            if not run.sent:
                break
    counts = {"campaign": campaign.id, "subscribers": subscribers, "queued": queued}
    if as_json:
        emit(json.dumps({**counts, "outbox": report.as_dict()}))
    else:
        emit(
            f"campaign {campaign.id}: {queued} e-mails queued for {subscribers} confirmed"
            f" subscribers" + ("" if queue_only else f"; {report.summary()}")
        )


@contact_app.command("list")
def list_command(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", min=1, max=10_000, help="The latest N messages."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The latest contact-form messages, newest first (they hold personal data: for staff)."""
    from gardien.services.website.contact import list_messages

    app = container(ctx)
    with app.migrated_engine().connect() as connection:
        messages = list_messages(connection, limit=limit)
    if as_json:
        emit(
            json.dumps(
                [
                    {
                        "id": m.id,
                        "received_at": m.received_at.isoformat(),
                        "name": m.name,
                        "email": m.email,
                        "message": m.message,
                    }
                    for m in messages
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for m in messages:
        emit(f"#{m.id} {m.received_at:%Y-%m-%d %H:%M} {m.name} <{m.email}>\n  {m.message}")
    if not messages:
        emit("no message")

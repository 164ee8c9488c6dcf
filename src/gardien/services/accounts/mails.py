"""The account and request e-mails, queued in the caller's transaction through the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from gardien.services.accounts.context import AccountServices
from gardien.services.website.render import render
from gardien.store.outbox import NewMessage, queue_messages

PACKAGE = "gardien.services.accounts"


def queue_account_mail(
    connection: Connection,
    services: AccountServices,
    *,
    kind: str,
    template: str,
    recipient: str,
    lang: str,
    dedupe: str,
    context: Mapping[str, Any],
    learner_id: int | None = None,
) -> None:
    """Render ``template`` (``<template>.subject.j2`` and ``.body.j2``) and queue it."""
    full = {
        **context,
        "controller_name": services.policy.controller.name,
        "notice_url": services.url(lang, "/confidentialite" if lang == "fr" else "/privacy"),
    }
    now = services.now()
    subject = " ".join(render(f"{template}.subject.j2", lang, full, package=PACKAGE).split())
    body = render(f"{template}.body.j2", lang, full, package=PACKAGE).rstrip() + "\n"
    queue_messages(
        connection,
        [
            NewMessage(
                dedupe_key=f"{kind}:{dedupe}",
                kind=kind,
                recipient=recipient,
                subject=subject,
                body=body,
                send_after=now,
                learner_id=learner_id,
            )
        ],
        now=now,
    )

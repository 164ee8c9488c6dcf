"""The account and request e-mails, queued in the caller's transaction through the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from gardien.mail.render import RenderedMail
from gardien.services.accounts.context import AccountServices
from gardien.services.website.render import render
from gardien.store.outbox import NewMessage, queue_messages

PACKAGE = "gardien.services.accounts"


def notice_url(services: AccountServices, lang: str) -> str:
    """The notice's address in ``lang``: every e-mail ends with it."""
    return services.url(lang, "/confidentialite" if lang == "fr" else "/privacy")


def render_account_mail(
    template: str,
    lang: str,
    context: Mapping[str, Any],
    *,
    controller_name: str,
    notice_url: str,
) -> RenderedMail:
    """Render ``template`` (``<template>.subject.j2`` and ``.body.j2``) in ``lang``."""
    full = {**context, "controller_name": controller_name, "notice_url": notice_url}
    subject = " ".join(render(f"{template}.subject.j2", lang, full, package=PACKAGE).split())
    body = render(f"{template}.body.j2", lang, full, package=PACKAGE).rstrip() + "\n"
    return RenderedMail(subject=subject, body=body)


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
    mail = render_account_mail(
        template,
        lang,
        context,
        controller_name=services.policy.controller.name,
        notice_url=notice_url(services, lang),
    )
    queue_rendered(
        connection,
        services,
        mail,
        kind=kind,
        recipient=recipient,
        dedupe=dedupe,
        learner_id=learner_id,
    )


def queue_rendered(
    connection: Connection,
    services: AccountServices,
    mail: RenderedMail,
    *,
    kind: str,
    recipient: str,
    dedupe: str,
    learner_id: int | None = None,
) -> None:
    """Queue a rendered e-mail, due at once; ``kind:dedupe`` makes queuing it twice a no-op."""
    now = services.now()
    queue_messages(
        connection,
        [
            NewMessage(
                dedupe_key=f"{kind}:{dedupe}",
                kind=kind,
                recipient=recipient,
                subject=mail.subject,
                body=mail.body,
                send_after=now,
                learner_id=learner_id,
            )
        ],
        now=now,
    )

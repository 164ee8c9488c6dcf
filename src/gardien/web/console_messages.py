"""The contact messages in the DPO console (role ``dpo`` only), French and English.

- ``GET /console/messages``: the latest messages, newest first, with whether each is
  answered; ``?show=unanswered`` or ``?show=answered`` keeps only those. Each reading is
  audited (:func:`gardien.services.console.view_messages`).
- ``GET /console/messages/{id}``: one message, its reply if any, and the forms to reply by
  e-mail or to mark it answered; the reading is audited.
- ``POST /console/messages/{id}/reply``: send the reply (queued in the outbox, in the
  message's language), keep it, mark the message answered.
- ``POST /console/messages/{id}/answered``: mark it answered without a reply from here.

The use cases are in :mod:`gardien.services.website.contact_replies`. An empty or too long
reply comes back with its message (400) and nothing sent; a second reply is a 409 page.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gardien.errors import InvalidInputError
from gardien.services import console
from gardien.services.website import contact_replies
from gardien.services.website.contact import ContactMessage
from gardien.store.uow import UnitOfWork
from gardien.web.auth import check_csrf, require
from gardien.web.console_pages import format_instant
from gardien.web.deps import FormDep, get_container
from gardien.web.forms import N_, PREFIXES, Handler, field_of, page_base, translate

router = APIRouter()

# What ``?show=`` keeps: None is every message.
SHOWN: dict[str, bool | None] = {"all": None, "unanswered": False, "answered": True}
SHOWN_LABELS = {
    "all": N_("All messages"),
    "unanswered": N_("Without an answer"),
    "answered": N_("With an answer"),
}
REPLY_ERRORS = {
    "empty": N_("Write the reply (at most 5,000 characters)."),
    "replied": N_("This message has its reply already: nothing was sent."),
}
LANGUAGES = {"fr": N_("French"), "en": N_("English")}


def _list_url(lang: str) -> str:
    return f"{PREFIXES[lang]}/console/messages"


def _message_url(lang: str, message_id: int) -> str:
    return f"{_list_url(lang)}/{message_id}"


def _common(request: Request, lang: str) -> dict[str, Any]:
    prefix = PREFIXES[lang]
    return {
        "console_url": f"{prefix}/console",
        "messages_url": _list_url(lang),
        "message_url": partial(_message_url, lang),
        "instant": partial(format_instant, lang=lang),
        "languages": {key: translate(request, lang, text) for key, text in LANGUAGES.items()},
    }


def _messages_get(lang: str) -> Handler:
    def page(request: Request, show: str = "all") -> Response:
        session = require(request, "dpo")
        shown = show if show in SHOWN else "all"
        container, pages, context = page_base(request)
        messages = console.view_messages(
            UnitOfWork(container.engine, write=True),
            actor=console.dpo_actor(session.account.id),
            now=container.clock.now(),
            answered=SHOWN[shown],
        )
        return pages.render(
            request,
            "console_messages.html",
            lang,
            {
                **context,
                **_common(request, lang),
                "messages": messages,
                "limit": console.MESSAGES,
                "shown": shown,
                "filters": {
                    key: (translate(request, lang, text), f"{_list_url(lang)}?show={key}")
                    for key, text in SHOWN_LABELS.items()
                },
            },
        )

    return page


def _message_page(
    request: Request,
    lang: str,
    message: ContactMessage,
    *,
    errors: dict[str, str] | None = None,
    reply: str = "",
    status: int = 200,
) -> HTMLResponse:
    _container, pages, context = page_base(request)
    action = _message_url(lang, message.id)
    return pages.render(
        request,
        "console_message.html",
        lang,
        {
            **context,
            **_common(request, lang),
            "message": message,
            "reply_lang": contact_replies.reply_language(message),
            "reply_action": f"{action}/reply",
            "answered_action": f"{action}/answered",
            "max_reply": contact_replies.MAX_REPLY,
            "errors": errors or {},
            "reply": reply,
        },
        status_code=status,
    )


def _message_get(lang: str) -> Handler:
    def page(request: Request, message_id: int) -> Response:
        session = require(request, "dpo")
        container = get_container(request)
        message = contact_replies.read_message(
            UnitOfWork(container.engine, write=True),
            message_id,
            actor=console.dpo_actor(session.account.id),
            now=container.clock.now(),
        )
        return _message_page(request, lang, message)

    return page


def _reply_post(lang: str) -> Handler:
    def submit(request: Request, message_id: int, form: FormDep) -> Response:
        session = require(request, "dpo")
        check_csrf(request, form)
        text = field_of(form, "reply")
        container = get_container(request)
        actor = console.dpo_actor(session.account.id)
        try:
            contact_replies.send_reply(
                UnitOfWork(container.engine, write=True),
                container.website(),
                message_id,
                text=text,
                actor=actor,
            )
        except InvalidInputError:
            message = contact_replies.read_message(
                UnitOfWork(container.engine, write=True),
                message_id,
                actor=actor,
                now=container.clock.now(),
            )
            replied = message.reply is not None
            problem = REPLY_ERRORS["replied" if replied else "empty"]
            return _message_page(
                request,
                lang,
                message,
                errors={"reply": translate(request, lang, problem)},
                reply=text,
                status=409 if replied else 400,
            )
        return RedirectResponse(_message_url(lang, message_id), status_code=303)

    return submit


def _answered_post(lang: str) -> Handler:
    def submit(request: Request, message_id: int, form: FormDep) -> Response:
        session = require(request, "dpo")
        check_csrf(request, form)
        container = get_container(request)
        contact_replies.mark_answered(
            UnitOfWork(container.engine, write=True),
            message_id,
            actor=console.dpo_actor(session.account.id),
            now=container.clock.now(),
        )
        return RedirectResponse(_message_url(lang, message_id), status_code=303)

    return submit


for _lang, _prefix in PREFIXES.items():
    _routes: list[tuple[str, Handler, str]] = [
        ("/console/messages", _messages_get(_lang), "GET"),
        ("/console/messages/{message_id}", _message_get(_lang), "GET"),
        ("/console/messages/{message_id}/reply", _reply_post(_lang), "POST"),
        ("/console/messages/{message_id}/answered", _answered_post(_lang), "POST"),
    ]
    for _path, _handler, _method in _routes:
        router.add_api_route(
            f"{_prefix}{_path}", _handler, methods=[_method], include_in_schema=False
        )

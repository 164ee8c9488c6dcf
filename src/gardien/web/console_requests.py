"""One request in the DPO console, and what answers it (role ``dpo`` only; French at
``/console/requests/…``, English under ``/en``).

- ``/console/requests/{reference}``: the request in words (what the person wrote, their
  language, times in Paris time), the outcome in words, and what can be done next: extend
  the deadline, complete with a note, refuse with a reason, or the action its kind needs.
- ``…/send-export`` (access or portability filed without an account), ``…/erase`` (erasure
  filed without an account), ``…/rectify`` (rectification, :mod:`.console_rectify`): each
  shows what will happen before it happens (GOV.UK "check your answers"), then a button
  carries it out. The request page then says what was done (``?done=…``, Post/Redirect/Get).
- ``…/extend``, ``…/complete``, ``…/refuse``, ``…/object``: the forms of the request page.

The use cases are in :mod:`gardien.services.console` and
:mod:`gardien.services.request_actions`; every decision is audited under ``dpo:<account id>``.
A form with a missing text comes back with the message tied to its field (400), nothing
changed; a decision the request's state forbids is a 409 page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gardien.bootstrap import Container
from gardien.errors import InvalidInputError, RequestStateError
from gardien.i18n.dates import format_time
from gardien.services import console
from gardien.services import request_actions as actions
from gardien.services.erasure import preview_erasure
from gardien.services.erasure_words import kept_in_words
from gardien.services.requests import RequestView
from gardien.store.uow import UnitOfWork
from gardien.web.auth import check_csrf, require
from gardien.web.console_pages import IDENTITY_CHECKS, KINDS, STATUSES
from gardien.web.console_words import (
    details_in_words,
    kept_context,
    outcome_in_words,
)
from gardien.web.deps import FormDep, get_container
from gardien.web.forms import N_, PREFIXES, FieldErrors, Handler, field_of, page_base, translate
from gardien.web.templating import Pages

router = APIRouter()

# What a form of the request page says when its text is missing or too long.
FORM_ERRORS = {
    "extend": N_("Write the reason the person will be told (at most 2,000 characters)."),
    "complete": N_("Write what was done (at most 2,000 characters)."),
    "refuse": N_("Write why the request is refused (at most 2,000 characters)."),
}
# The field each form's text is in (its id on the page, where its error points).
FORM_FIELDS = {"extend": "extend-reason", "complete": "complete-note", "refuse": "refuse-reason"}
# What the request page says once an action is done (?done=<key>).
DONE = {
    "sent": N_("The download link is sent; the request is completed."),
    "erased": N_("The erasure is done and the person is told by e-mail; the request is completed."),
    "rectified": N_("The correction is recorded and the person is told; the request is completed."),
    "decided": N_("Your decision is recorded."),
}


def request_url(lang: str, reference: str, action: str = "") -> str:
    base = f"{PREFIXES[lang]}/console/requests/{reference}"
    return f"{base}/{action}" if action else base


def done(lang: str, reference: str, key: str) -> Response:
    return RedirectResponse(f"{request_url(lang, reference)}?done={key}", status_code=303)


def _labels(request: Request, lang: str, labels: dict[str, str]) -> dict[str, str]:
    return {key: translate(request, lang, text) for key, text in labels.items()}


def request_base(
    request: Request, lang: str, reference: str
) -> tuple[Container, Pages, dict[str, Any], RequestView]:
    """The container, the pages, what every page here shows, and the request."""
    container, pages, context = page_base(request)
    view = console.console_request(
        UnitOfWork(container.engine), reference, today=container.clock.today()
    )
    return (
        container,
        pages,
        {
            **context,
            **kept_context(request, lang, container.policy),
            "console_url": f"{PREFIXES[lang]}/console",
            "request_url": request_url(lang, reference),
            "kinds": _labels(request, lang, KINDS),
            "statuses": _labels(request, lang, STATUSES),
            "instant": lambda at: format_time(at, lang) if at is not None else "",
            "item": view,
        },
        view,
    )


# -- the request page --------------------------------------------------------------------------


def _request_page(
    request: Request,
    lang: str,
    reference: str,
    *,
    errors: FieldErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    container, pages, context, view = request_base(request, lang, reference)
    today = container.clock.today()
    done = DONE.get(request.query_params.get("done", ""))
    return pages.render(
        request,
        "console_request.html",
        lang,
        {
            **context,
            "identity_check": translate(
                request, lang, IDENTITY_CHECKS.get(view.identity_check, view.identity_check)
            ),
            "can_extend": not view.closed and view.deadline.can_extend(today),
            "can_erase": console.can_erase_here(view),
            "can_object": console.can_object_here(view),
            "can_send_export": actions.can_send_export(view),
            "can_rectify": actions.can_rectify(view),
            "details": details_in_words(request, lang, view.details),
            "outcome": outcome_in_words(request, lang, view, container.policy),
            "actions": {
                name: request_url(lang, reference, name)
                for name in (
                    "extend",
                    "complete",
                    "refuse",
                    "erase",
                    "object",
                    "send-export",
                    "rectify",
                )
            },
            "notice": translate(request, lang, done) if done else "",
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status,
    )


def _request_get(lang: str) -> Handler:
    def page(request: Request, reference: str) -> Response:
        require(request, "dpo")
        return _request_page(request, lang, reference)

    return page


Decide = Callable[..., RequestView]


def _decision_post(lang: str, name: str, decide: Decide, text_field: str) -> Handler:
    """A form that decides on a request with a text (extend, complete, refuse)."""

    def submit(request: Request, reference: str, form: FormDep) -> Response:
        session = require(request, "dpo")
        check_csrf(request, form)
        text = field_of(form, text_field)
        container = get_container(request)
        try:
            decide(
                UnitOfWork(container.engine, write=True),
                container.accounts(),
                reference=reference,
                actor=console.dpo_actor(session.account.id),
                **{text_field: text},
            )
        except InvalidInputError:
            error = translate(request, lang, FORM_ERRORS[name])
            return _request_page(
                request,
                lang,
                reference,
                errors={FORM_FIELDS[name]: error},
                values={name: text},
                status=400,
            )
        return done(lang, reference, "decided")

    return submit


def _object_post(lang: str) -> Handler:
    """The button that carries out an objection filed by e-mail link."""

    def submit(request: Request, reference: str, form: FormDep) -> Response:
        session = require(request, "dpo")
        check_csrf(request, form)
        container = get_container(request)
        console.carry_out_objection(
            UnitOfWork(container.engine, write=True),
            container.accounts(),
            reference=reference,
            actor=console.dpo_actor(session.account.id),
        )
        return done(lang, reference, "decided")

    return submit


# -- erasure: check, then erase ----------------------------------------------------------------


def _erase_get(lang: str) -> Handler:
    def page(request: Request, reference: str) -> Response:
        require(request, "dpo")
        container, pages, context, view = request_base(request, lang, reference)
        if not console.can_erase_here(view):
            raise RequestStateError("only an open erasure filed without an account is run here")
        services = container.accounts()
        held = actions.held_records(UnitOfWork(container.engine), services, view.email)
        kept = preview_erasure(
            view.email,
            uow=UnitOfWork(container.engine),
            policy=container.policy,
            clock=container.clock,
            lookup=services.lookup,
        )
        return pages.render(
            request,
            "console_erase.html",
            lang,
            {
                **context,
                "held": held,
                "kept": kept_in_words(kept, lang),
                "dpo_view": True,
                "action": request_url(lang, reference, "erase"),
            },
        )

    return page


def _erase_post(lang: str) -> Handler:
    def submit(request: Request, reference: str, form: FormDep) -> Response:
        session = require(request, "dpo")
        check_csrf(request, form)
        container = get_container(request)
        services = container.accounts()
        # The e-mail is in the person's language, whatever the DPO reads the console in.
        console.carry_out_erasure(
            UnitOfWork(container.engine, write=True),
            services,
            reference=reference,
            actor=console.dpo_actor(session.account.id),
        )
        return done(lang, reference, "erased")

    return submit


# -- access: check, then send the download link ------------------------------------------------


def _validity(request: Request) -> timedelta:
    return timedelta(days=get_container(request).settings.export_link_days)


def _send_export_get(lang: str) -> Handler:
    def page(request: Request, reference: str) -> Response:
        require(request, "dpo")
        container, pages, context, view = request_base(request, lang, reference)
        if not actions.can_send_export(view):
            raise RequestStateError("only an open access request filed without an account")
        held = actions.held_records(UnitOfWork(container.engine), container.accounts(), view.email)
        validity = _validity(request)
        return pages.render(
            request,
            "console_send_export.html",
            lang,
            {
                **context,
                "held": held,
                "days": validity.days,
                "until": format_time(container.clock.now() + validity, lang),
                "action": request_url(lang, reference, "send-export"),
            },
        )

    return page


def _send_export_post(lang: str) -> Handler:
    def submit(request: Request, reference: str, form: FormDep) -> Response:
        session = require(request, "dpo")
        check_csrf(request, form)
        container = get_container(request)
        actions.send_export_link(
            UnitOfWork(container.engine, write=True),
            container.accounts(),
            reference=reference,
            actor=console.dpo_actor(session.account.id),
            valid_for=_validity(request),
        )
        return done(lang, reference, "sent")

    return submit


for _lang, _prefix in PREFIXES.items():
    _routes: list[tuple[str, Handler, str]] = [
        ("", _request_get(_lang), "GET"),
        ("/extend", _decision_post(_lang, "extend", console.extend, "reason"), "POST"),
        ("/complete", _decision_post(_lang, "complete", console.complete, "note"), "POST"),
        ("/refuse", _decision_post(_lang, "refuse", console.refuse, "reason"), "POST"),
        ("/object", _object_post(_lang), "POST"),
        ("/erase", _erase_get(_lang), "GET"),
        ("/erase", _erase_post(_lang), "POST"),
        ("/send-export", _send_export_get(_lang), "GET"),
        ("/send-export", _send_export_post(_lang), "POST"),
    ]
    for _path, _handler, _method in _routes:
        router.add_api_route(
            f"{_prefix}/console/requests/{{reference}}{_path}",
            _handler,
            methods=[_method],
            include_in_schema=False,
        )

"""Recording a rectification from the DPO console: which fields were corrected, and a note
for the person (``/console/requests/{reference}/rectify``, role ``dpo`` only).

The form lists the fields held about the address (the export's, named as the person's own
pages name them); the DPO ticks those they corrected and writes what the person will read. A
check page shows both; **Change** sends them back to the form, **Record the correction**
closes the request (:func:`gardien.services.request_actions.record_rectification`): the
audit log keeps the field names, never their values. A missing answer comes back with its
message under its field and in the error summary (400), nothing recorded.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gardien.errors import InvalidInputError, RequestStateError
from gardien.services import console
from gardien.services import request_actions as actions
from gardien.services.requests import RequestView
from gardien.store.uow import UnitOfWork
from gardien.web.auth import check_csrf, require
from gardien.web.console_requests import done, request_base, request_url
from gardien.web.console_words import console_words
from gardien.web.data_labels import HIDDEN
from gardien.web.deps import FormDep, get_container
from gardien.web.forms import N_, PREFIXES, Handler, field_of, translate

router = APIRouter()

NOT_CORRECTED = ("subject_request.", "outbox_message.")
RECTIFY_ERRORS = {
    "fields": N_("Tick at least one field you corrected."),
    "note": N_("Write what was corrected, for the person (at most 2,000 characters)."),
}


def _choices(request: Request, lang: str, view: RequestView) -> list[tuple[str, str]]:
    """The fields held about the person, as (``record.field``, words) pairs."""
    container = get_container(request)
    words = console_words(request, lang)
    held = actions.held_fields(UnitOfWork(container.engine), container.accounts(), view.email)
    choices = []
    for dotted in held:
        # The requests and the e-mails sent are records of what was done, not data to correct.
        if dotted in HIDDEN or dotted.startswith(NOT_CORRECTED):
            continue
        record, _, name = dotted.partition(".")
        choices.append((dotted, f"{words.record(record)} — {words.label(record, name).lower()}"))
    return choices


def _rectify_page(
    request: Request,
    lang: str,
    reference: str,
    *,
    chosen: list[str] | None = None,
    note: str = "",
    problems: dict[str, str] | None = None,
    check: bool = False,
) -> HTMLResponse:
    """The form (or, with ``check``, its check page); ``problems`` are field → msgid, found
    by :func:`_problems` against the same choices the page offers."""
    _container, pages, context, view = request_base(request, lang, reference)
    if not actions.can_rectify(view):
        raise RequestStateError("only an open rectification is recorded here")
    choices = _choices(request, lang, view)
    errors = {name: translate(request, lang, text) for name, text in (problems or {}).items()}
    return pages.render(
        request,
        "console_rectify_check.html" if check and not errors else "console_rectify.html",
        lang,
        {
            **context,
            "choices": choices,
            "chosen": chosen or [],
            "chosen_words": [text for key, text in choices if key in (chosen or [])],
            "note": note,
            "errors": errors,
            "action": request_url(lang, reference, "rectify"),
            "confirm_action": request_url(lang, reference, "rectify/confirm"),
        },
        status_code=400 if errors else 200,
    )


def _rectify_get(lang: str) -> Handler:
    def page(request: Request, reference: str) -> Response:
        require(request, "dpo")
        return _rectify_page(request, lang, reference)

    return page


def _rectify_values(form: Any) -> tuple[list[str], str]:
    chosen = [value for value in form.getlist("fields") if isinstance(value, str)]
    return chosen, field_of(form, "note")


def _problems(chosen: list[str], note: str) -> dict[str, str]:
    """What the form lacks, field → msgid (the service checks the fields against what is
    held; a field it does not hold is left out, and none left is refused there too)."""
    problems = {}
    if not chosen:
        problems["fields"] = RECTIFY_ERRORS["fields"]
    if not note.strip() or len(note.strip()) > actions.MAX_NOTE:
        problems["note"] = RECTIFY_ERRORS["note"]
    return problems


def _rectify_post(lang: str) -> Handler:
    """The form sent: its check page, or the form again with what is missing. "Change" on the
    check page sends the answers back here with ``change=yes``: the form, filled in."""

    def submit(request: Request, reference: str, form: FormDep) -> Response:
        require(request, "dpo")
        check_csrf(request, form)
        chosen, note = _rectify_values(form)
        return _rectify_page(
            request,
            lang,
            reference,
            chosen=chosen,
            note=note,
            problems=_problems(chosen, note),
            check=field_of(form, "change") != "yes",
        )

    return submit


def _rectify_confirm_post(lang: str) -> Handler:
    def submit(request: Request, reference: str, form: FormDep) -> Response:
        session = require(request, "dpo")
        check_csrf(request, form)
        chosen, note = _rectify_values(form)
        _container, _pages, _context, view = request_base(request, lang, reference)
        container = get_container(request)
        try:
            actions.record_rectification(
                UnitOfWork(container.engine, write=True),
                container.accounts(),
                reference=reference,
                fields=chosen,
                allowed=[key for key, _text in _choices(request, lang, view)],
                note=note,
                actor=console.dpo_actor(session.account.id),
            )
        except InvalidInputError:
            # Sent by hand (the check page sends what the form checked): say what is wrong.
            problems = _problems(chosen, note) or {"fields": RECTIFY_ERRORS["fields"]}
            return _rectify_page(
                request, lang, reference, chosen=chosen, note=note, problems=problems
            )
        return done(lang, reference, "rectified")

    return submit


for _lang, _prefix in PREFIXES.items():
    for _path, _handler, _method in (
        ("/rectify", _rectify_get(_lang), "GET"),
        ("/rectify", _rectify_post(_lang), "POST"),
        ("/rectify/confirm", _rectify_confirm_post(_lang), "POST"),
    ):
        router.add_api_route(
            f"{_prefix}/console/requests/{{reference}}{_path}",
            _handler,
            methods=[_method],
            include_in_schema=False,
        )

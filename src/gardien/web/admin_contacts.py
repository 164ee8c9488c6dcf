"""Inviting a sponsor's contact (role ``admin``), without knowing any internal reference.

``/admin/accounts/invite-contact`` searches the sponsors by name on the server (a GET form,
no JavaScript) and lists those found as radio buttons; the admin picks one, types the
contact's address (and their name when the sponsor has no contact at that address yet) and
sends. Each mistake gets its own message under its own field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gardien.errors import AccountChangeRefusedError, InvalidInputError
from gardien.services.accounts.directory import (
    SPONSOR_CHOICES,
    SponsorChoice,
    search_sponsors,
    sponsor_choice,
)
from gardien.services.accounts.invitations import invite_sponsor_contact
from gardien.services.website.newsletter import normalise_email
from gardien.store.uow import UnitOfWork
from gardien.web.admin_pages import REFUSED, accounts_url, refusal
from gardien.web.auth import check_csrf, require
from gardien.web.deps import FormDep, get_container
from gardien.web.forms import (
    N_,
    PREFIXES,
    FieldErrors,
    Handler,
    email_problem,
    field_errors,
    field_of,
    page_base,
)

router = APIRouter()
_NAME_MAX = 200


def _page(
    request: Request,
    lang: str,
    *,
    search: str,
    errors: FieldErrors | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    require(request, "admin")
    container, pages, context = page_base(request)
    search = " ".join(search.split())[:200]
    choices, total = search_sponsors(UnitOfWork(container.engine), search)
    values = values or {}
    chosen = values.get("sponsor", "")
    if chosen.isdigit() and all(str(c.id) != chosen for c in choices):
        # The sponsor chosen before a mistake stays on the list, whatever the search.
        kept = sponsor_choice(UnitOfWork(container.engine), int(chosen))
        choices = ([kept] if kept is not None else []) + choices
    # Without a search, the list is shown only when it is short.
    listed: list[SponsorChoice] = choices if (search or total <= SPONSOR_CHOICES) else []
    base = accounts_url(lang)
    extra: dict[str, Any] = {
        "search": search,
        "choices": listed,
        "total": total,
        "limit": SPONSOR_CHOICES,
        "search_url": f"{base}/invite-contact",
        "action": f"{base}/invite-contact",
        "list_url": base,
        "errors": errors or {},
        "values": values,
        "anchors": {"sponsor": f"sponsor-{listed[0].id}" if listed else "sponsor-search"},
    }
    return pages.render(
        request,
        "admin_invite_contact.html",
        lang,
        {**context, **extra},
        status_code=400 if errors else 200,
    )


def _show(lang: str) -> Handler:
    def page(request: Request) -> Response:
        return _page(request, lang, search=request.query_params.get("q", ""))

    return page


def _submit(lang: str) -> Handler:
    def submit(request: Request, form: FormDep) -> Response:
        session = require(request, "admin")
        check_csrf(request, form)
        container = get_container(request)
        reader = UnitOfWork(container.engine)
        chosen, raw = field_of(form, "sponsor"), field_of(form, "email")
        name = field_of(form, "name")
        values = {"sponsor": chosen, "email": raw[:254], "name": name[:_NAME_MAX]}
        problems: dict[str, str] = {}
        if not chosen:
            problems["sponsor"] = N_("Choose the sponsor.")
        elif not chosen.isdigit() or sponsor_choice(reader, int(chosen)) is None:
            problems["sponsor"] = REFUSED["no_sponsor"]
        wrong_address = email_problem(raw)
        if wrong_address is not None:
            problems["email"] = (
                N_("Enter the contact's e-mail address.") if not raw.strip() else wrong_address
            )
        if len(name) > _NAME_MAX:
            problems["name"] = N_("The name is too long (at most 200 characters).")
        if not problems:
            try:
                invite_sponsor_contact(
                    UnitOfWork(container.engine, write=True),
                    container.accounts(),
                    sponsor_id=int(chosen),
                    email=normalise_email(raw),
                    name=name,
                    lang=lang,
                    actor=f"admin:{session.account.id}",
                )
            except AccountChangeRefusedError as refused:
                problems[refused.field or "email"] = refusal(refused)
            except InvalidInputError:
                problems["email"] = N_("This e-mail address is not valid.")
        if problems:
            return _page(
                request,
                lang,
                search=field_of(form, "q"),
                errors=field_errors(request, lang, problems),
                values=values,
            )
        return RedirectResponse(f"{accounts_url(lang)}?done=invited", status_code=303)

    return submit


for _lang, _prefix in PREFIXES.items():
    router.add_api_route(
        f"{_prefix}/admin/accounts/invite-contact",
        _show(_lang),
        methods=["GET"],
        include_in_schema=False,
    )
    router.add_api_route(
        f"{_prefix}/admin/accounts/invite-contact",
        _submit(_lang),
        methods=["POST"],
        include_in_schema=False,
    )

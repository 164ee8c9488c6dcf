"""Administration (role ``admin``): the list of accounts, filtered, and the invitation of staff.

- ``/admin/accounts``: every account, filtered by role, state and a part of the address, with
  a link per row to what can be done to it (web/admin_actions.py) and the staff invitation
  form; a sponsor's contact is invited from its own page (web/admin_contacts.py).
- ``POST /admin/accounts/invite``: invite a DPO or an admin.

Learners are invited from their contracts (``gardien account invite-learners``). Every
invitation and change is audit-logged with the admin's account id as actor.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gardien.errors import AccountChangeRefusedError, InvalidInputError
from gardien.services.accounts.directory import PAGE_SIZE, STATES, list_accounts
from gardien.services.accounts.invitations import STAFF_ROLES, invite
from gardien.services.website.newsletter import normalise_email
from gardien.store.uow import UnitOfWork
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
    translate,
)
from gardien.web.portal_pages import day

router = APIRouter()
ROLES = {
    "dpo": N_("Data protection officer"),
    "admin": N_("Administrator"),
    "sponsor_contact": N_("Sponsor's contact"),
    "learner": N_("Learner"),
}
STATE_NAMES = {
    "active": N_("active"),
    "invited": N_("invited"),
    "deactivated": N_("deactivated"),
}
# What the list says after a change (``?done=``): fixed words, never what was typed.
DONE = {
    "invited": N_("The invitation is on its way."),
    "resent": N_("A new invitation is on its way; the previous link no longer works."),
    "deactivated": N_("The account is deactivated: it was signed out and cannot sign in."),
    "reactivated": N_("The account is active again: its owner can sign in with their password."),
    "role": N_("The role is changed."),
}
# Why an invitation or a change was refused (AccountChangeRefusedError.reason).
REFUSED = {
    "taken": N_("This address already has an account of another kind: find it in the list."),
    "active": N_("This address already has an active account."),
    "deactivated": N_("This address has a deactivated account: reactivate it from the list."),
    "not_invited": N_("This account is already active: there is no invitation to send again."),
    "no_sponsor": N_("This sponsor does not exist or its data was anonymised: search again."),
    "name_needed": N_("This sponsor has no contact at this address yet: enter the contact's name."),
    "role": N_("Only staff accounts change role, between DPO and administrator."),
    "own_account": N_("You cannot do this to your own account."),
}


def accounts_url(lang: str) -> str:
    return f"{PREFIXES[lang]}/admin/accounts"


def refusal(error: AccountChangeRefusedError) -> str:
    """The msgid saying why ``error`` refused a change."""
    return REFUSED.get(error.reason, N_("This change cannot be made."))


def role_names(request: Request, lang: str) -> dict[str, str]:
    return {key: translate(request, lang, text) for key, text in ROLES.items()}


def _page(
    request: Request,
    lang: str,
    *,
    errors: FieldErrors | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    session = require(request, "admin")
    container, pages, context = page_base(request)
    query = request.query_params
    role = query.get("role", "")
    state = query.get("state", "")
    search = query.get("q", "")[:254]
    found = list_accounts(
        UnitOfWork(container.engine),
        role=role if role in ROLES else None,
        state=state if state in STATES else None,
        search=search,
    )
    done = DONE.get(query.get("done", ""))
    base = accounts_url(lang)
    extra: dict[str, Any] = {
        "entries": found.entries,
        "total": found.total,
        "page_size": PAGE_SIZE,
        "filters": {"role": role, "state": state, "q": search},
        "filtered": bool(role or state or search),
        "me": session.account.id,
        "roles": role_names(request, lang),
        "staff_roles": STAFF_ROLES,
        "states": {key: translate(request, lang, text) for key, text in STATE_NAMES.items()},
        "list_url": base,
        "invite_action": f"{base}/invite",
        "contact_url": f"{base}/invite-contact",
        "account_url": lambda account_id, action: f"{base}/{account_id}/{action}",
        "day": lambda value: day(value, lang),
        "done": translate(request, lang, done) if done else "",
        "errors": errors or {},
        "values": values or {},
    }
    return pages.render(
        request,
        "admin_accounts.html",
        lang,
        {**context, **extra},
        status_code=400 if errors else 200,
    )


def _list(lang: str) -> Handler:
    def page(request: Request) -> Response:
        return _page(request, lang)

    return page


def _invite(lang: str) -> Handler:
    def submit(request: Request, form: FormDep) -> Response:
        session = require(request, "admin")
        check_csrf(request, form)
        container = get_container(request)
        role, raw = field_of(form, "role"), field_of(form, "email")
        values = {"role": role, "email": raw[:254]}
        problems: dict[str, str] = {}
        wrong_address = email_problem(raw)
        if wrong_address is not None:
            problems["email"] = (
                N_("Enter the person's e-mail address.") if not raw.strip() else wrong_address
            )
        if role not in STAFF_ROLES:
            problems["role"] = N_("Choose the role: DPO or administrator.")
        if not problems:
            try:
                invite(
                    UnitOfWork(container.engine, write=True),
                    container.accounts(),
                    role=role,
                    email=normalise_email(raw),
                    lang=lang,
                    actor=f"admin:{session.account.id}",
                )
            except AccountChangeRefusedError as refused:
                problems["email"] = refusal(refused)
            except InvalidInputError:
                problems["email"] = N_("This e-mail address is not valid.")
        if problems:
            errors = field_errors(request, lang, problems)
            return _page(request, lang, errors=errors, values=values)
        return RedirectResponse(f"{accounts_url(lang)}?done=invited", status_code=303)

    return submit


for _lang, _prefix in PREFIXES.items():
    router.add_api_route(
        f"{_prefix}/admin/accounts", _list(_lang), methods=["GET"], include_in_schema=False
    )
    router.add_api_route(
        f"{_prefix}/admin/accounts/invite",
        _invite(_lang),
        methods=["POST"],
        include_in_schema=False,
    )

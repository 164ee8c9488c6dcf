"""What an admin does to one account, each behind a page that says what will happen:

- ``/admin/accounts/{id}/deactivate``: it cannot sign in any more; its sessions end at once.
- ``/admin/accounts/{id}/reactivate``: it can sign in again with its own password.
- ``/admin/accounts/{id}/resend``: a new invitation link; the previous one stops working.
- ``/admin/accounts/{id}/role``: a DPO becomes an admin, or an admin a DPO.

GET shows the account and the consequences (or why the change cannot be made); POST makes
the change and returns to the list, which says what was done. The services audit-log each
change with the admin's account id as actor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gardien.errors import AccountChangeRefusedError, NotFoundError
from gardien.services.accounts.administration import change_role, deactivate, reactivate
from gardien.services.accounts.directory import AccountEntry, account_entry
from gardien.services.accounts.invitations import STAFF_ROLES, resend_invitation
from gardien.store.uow import UnitOfWork
from gardien.web.admin_pages import (
    REFUSED,
    STATE_NAMES,
    accounts_url,
    refusal,
    role_names,
)
from gardien.web.auth import check_csrf, require
from gardien.web.deps import FormDep, get_container
from gardien.web.forms import N_, PREFIXES, Handler, field_of, page_base, translate
from gardien.web.portal_pages import day

router = APIRouter()


@dataclass(frozen=True)
class Action:
    """One change: its page's words and the list's message once done."""

    heading: str
    explanation: tuple[str, ...]
    button: str
    done: str
    danger: bool = False


ACTIONS = {
    "deactivate": Action(
        N_("Deactivate this account?"),
        (
            N_(
                "Its owner is signed out at once and can no longer sign in, nor reset their "
                "password; an invitation waiting for them stops working."
            ),
            N_("Nothing is deleted: you can reactivate the account later."),
        ),
        N_("Deactivate the account"),
        "deactivated",
        danger=True,
    ),
    "reactivate": Action(
        N_("Reactivate this account?"),
        (N_("Its owner can sign in again with their own password and second factor."),),
        N_("Reactivate the account"),
        "reactivated",
    ),
    "resend": Action(
        N_("Send the invitation again?"),
        (
            N_("A new link is sent to the account's address, valid for 14 days."),
            N_("The link sent before stops working."),
        ),
        N_("Send a new invitation"),
        "resent",
    ),
    "role": Action(
        N_("Change the role of this account?"),
        (
            N_(
                "The new role applies from the next page its owner opens: a DPO handles the "
                "data-subject requests, an administrator the accounts."
            ),
        ),
        N_("Change the role"),
        "role",
    ),
}


def _new_role(entry: AccountEntry) -> str:
    return "admin" if entry.role == "dpo" else "dpo"


def _why_not(entry: AccountEntry, action: str, me: int) -> str | None:
    """The msgid saying why ``action`` cannot be done to ``entry`` now, or None if it can."""
    if action == "resend":
        if entry.state == "deactivated":
            return REFUSED["deactivated"]
        return None if entry.state == "invited" else REFUSED["not_invited"]
    if entry.id == me:
        return REFUSED["own_account"]
    if action == "deactivate" and entry.state == "deactivated":
        return N_("This account is already deactivated.")
    if action == "reactivate" and entry.state != "deactivated":
        return N_("This account is not deactivated.")
    if action == "role" and entry.role not in STAFF_ROLES:
        return REFUSED["role"]
    return None


def _page(
    request: Request, lang: str, account_id: int, action: str, *, error: str = ""
) -> HTMLResponse:
    session = require(request, "admin")
    container, pages, context = page_base(request)
    entry = account_entry(UnitOfWork(container.engine), account_id)
    if entry is None:
        raise NotFoundError("no such account")
    why_not = _why_not(entry, action, session.account.id)
    roles = role_names(request, lang)
    words = ACTIONS[action]
    return pages.render(
        request,
        "admin_confirm.html",
        lang,
        {
            **context,
            "entry": entry,
            "role_name": roles[entry.role],
            "state_name": translate(request, lang, STATE_NAMES[entry.state]),
            "heading": translate(request, lang, words.heading),
            "explanation": [translate(request, lang, text) for text in words.explanation],
            "button": translate(request, lang, words.button),
            "danger": words.danger,
            "new_role": _new_role(entry) if action == "role" else "",
            "new_role_name": roles[_new_role(entry)] if action == "role" else "",
            "why_not": translate(request, lang, why_not) if why_not else "",
            "error": error,
            "action_url": f"{accounts_url(lang)}/{entry.id}/{action}",
            "list_url": accounts_url(lang),
            "day": lambda value: day(value, lang),
        },
        status_code=409 if error else 200,
    )


def _show(lang: str, action: str) -> Handler:
    def page(request: Request, account_id: int) -> Response:
        return _page(request, lang, account_id, action)

    return page


Change = Callable[[Request, FormDep, int, int], None]


def _change(action: str, lang: str) -> Change:
    def run(request: Request, form: FormDep, account_id: int, actor_id: int) -> None:
        container = get_container(request)
        uow = UnitOfWork(container.engine, write=True)
        services = container.accounts()
        if action == "deactivate":
            deactivate(uow, services, account_id=account_id, actor_id=actor_id)
        elif action == "reactivate":
            reactivate(uow, services, account_id=account_id, actor_id=actor_id)
        elif action == "resend":
            resend_invitation(
                uow, services, account_id=account_id, lang=lang, actor=f"admin:{actor_id}"
            )
        else:
            role = field_of(form, "role")
            change_role(uow, services, account_id=account_id, role=role, actor_id=actor_id)

    return run


def _submit(lang: str, action: str) -> Handler:
    change = _change(action, lang)

    def submit(request: Request, form: FormDep, account_id: int) -> Response:
        session = require(request, "admin")
        check_csrf(request, form)
        try:
            change(request, form, account_id, session.account.id)
        except AccountChangeRefusedError as refused:
            error = translate(request, lang, refusal(refused))
            return _page(request, lang, account_id, action, error=error)
        done = ACTIONS[action].done
        return RedirectResponse(f"{accounts_url(lang)}?done={done}", status_code=303)

    return submit


for _lang, _prefix in PREFIXES.items():
    for _action in ACTIONS:
        _path = f"{_prefix}/admin/accounts/{{account_id}}/{_action}"
        router.add_api_route(_path, _show(_lang, _action), methods=["GET"], include_in_schema=False)
        router.add_api_route(
            _path, _submit(_lang, _action), methods=["POST"], include_in_schema=False
        )

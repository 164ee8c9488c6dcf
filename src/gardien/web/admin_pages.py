"""Administration (role ``admin``): the accounts, and invitations for staff and sponsors'
contacts. Learners are invited from their contracts (``gardien account invite-learners``).
Every invitation is audit-logged with the admin's account id as actor."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gardien.errors import InvalidInputError, NotFoundError
from gardien.services.accounts.directory import accounts_overview, sponsor_contact_id
from gardien.services.accounts.invitations import invite
from gardien.services.website.newsletter import normalise_email
from gardien.store.uow import UnitOfWork
from gardien.web.auth import check_csrf, require
from gardien.web.deps import FormDep, get_container
from gardien.web.forms import N_, PREFIXES, Handler, field_of, page_base, translate
from gardien.web.portal_pages import day

router = APIRouter()
ROLES = {
    "dpo": N_("Data protection officer"),
    "admin": N_("Administrator"),
    "sponsor_contact": N_("Sponsor's contact"),
    "learner": N_("Learner"),
}


def _page(request: Request, lang: str, *, error: str = "", notice: str = "") -> HTMLResponse:
    container, pages, context = page_base(request)
    accounts, learners = accounts_overview(UnitOfWork(container.engine))
    return pages.render(
        request,
        "admin_accounts.html",
        lang,
        {
            **context,
            "accounts": accounts,
            "learner_accounts": learners,
            "roles": {key: translate(request, lang, text) for key, text in ROLES.items()},
            "action": f"{PREFIXES[lang]}/admin/accounts/invite",
            "day": lambda value: day(value, lang),
            "error": error,
            "notice": notice,
        },
        status_code=400 if error else 200,
    )


def _list(lang: str) -> Handler:
    def page(request: Request) -> Response:
        require(request, "admin")
        return _page(request, lang)

    return page


def _invite(lang: str) -> Handler:
    def submit(request: Request, form: FormDep) -> Response:
        session = require(request, "admin")
        check_csrf(request, form)
        container = get_container(request)
        role = field_of(form, "role")
        try:
            address = normalise_email(field_of(form, "email"))
            contact_id = None
            if role == "sponsor_contact":
                contact_id = sponsor_contact_id(
                    UnitOfWork(container.engine),
                    sponsor_ref=field_of(form, "sponsor"),
                    email=address,
                )
                if contact_id is None:
                    raise NotFoundError("no such contact")
            elif role not in ("dpo", "admin"):
                raise InvalidInputError("unknown role", field="role")
            invite(
                UnitOfWork(container.engine, write=True),
                container.accounts(),
                role=role,
                email=address,
                sponsor_contact_id=contact_id,
                lang=lang,
                actor=f"admin:{session.account.id}",
            )
        except NotFoundError:
            error = translate(request, lang, N_("This sponsor has no contact at this address."))
            return _page(request, lang, error=error)
        except InvalidInputError:
            error = translate(
                request,
                lang,
                N_("Check the address and the role: this address may already have an account."),
            )
            return _page(request, lang, error=error)
        return RedirectResponse(f"{PREFIXES[lang]}/admin/accounts", status_code=303)

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

"""The download link that answers an access request filed without an account.

- ``GET /requests/export/{token}``: a page with a button (opening the link downloads
  nothing, so a mail scanner that follows links does not spend it).
- ``POST /requests/export/{token}``: spends the link and sends the JSON export, built as it is
  read (:func:`gardien.services.portal.download`).

A link used already, or past its end, answers a page that says so (410 Gone), in the language
of the link; a link that never existed, 404. See :mod:`gardien.services.request_actions`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from gardien.errors import ExpiredLinkError, InvalidLinkError, UsedLinkError
from gardien.i18n.dates import format_time
from gardien.services import portal
from gardien.services import request_actions as actions
from gardien.store.uow import UnitOfWork
from gardien.web.auth import check_csrf
from gardien.web.deps import FormDep, get_container
from gardien.web.forms import N_, PREFIXES, Handler, message, page_base

router = APIRouter()


def _refused(request: Request, lang: str, error: InvalidLinkError) -> HTMLResponse:
    if isinstance(error, UsedLinkError):
        return message(
            request,
            lang,
            N_("This link was used already"),
            N_("A download link works once, and this one has been used."),
            N_("To receive your data again, write to us from your request's page."),
            status=410,
        )
    if isinstance(error, ExpiredLinkError):
        return message(
            request,
            lang,
            N_("This link has expired"),
            N_("A download link works for a limited time, and this one has ended."),
            N_("To receive your data again, write to us from your request's page."),
            status=410,
        )
    return message(
        request,
        lang,
        N_("This link is not valid"),
        N_("Check that you copied the whole address from the e-mail."),
        status=404,
    )


def _page_get(lang: str) -> Handler:
    def page(request: Request, token: str) -> Response:
        container, pages, context = page_base(request)
        try:
            link = actions.export_link_of(UnitOfWork(container.engine), container.accounts(), token)
        except InvalidLinkError as error:
            return _refused(request, lang, error)
        return pages.render(
            request,
            "export_link.html",
            lang,
            {
                **context,
                "reference": link.reference,
                "until": format_time(link.expires_at, lang),
                "action": f"{PREFIXES[lang]}/requests/export/{token}",
            },
        )

    return page


def _download_post(lang: str) -> Handler:
    def download(request: Request, token: str, form: FormDep) -> Response:
        check_csrf(request, form)
        container = get_container(request)
        services = container.accounts()
        try:
            link, email = actions.use_export_link(
                UnitOfWork(container.engine, write=True), services, token
            )
        except InvalidLinkError as error:
            return _refused(request, lang, error)
        body = portal.download(
            UnitOfWork(container.engine), services, email, fmt="json", lang=link.lang
        )
        name = "my-data" if lang == "en" else "mes-donnees"
        stamp = services.clock.today().isoformat()
        return StreamingResponse(
            body,
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="{name}-{stamp}.json"',
                "Cache-Control": "no-store",
            },
        )

    return download


for _lang, _prefix in PREFIXES.items():
    for _method, _handler in (("GET", _page_get(_lang)), ("POST", _download_post(_lang))):
        router.add_api_route(
            f"{_prefix}/requests/export/{{token}}",
            _handler,
            methods=[_method],
            include_in_schema=False,
        )

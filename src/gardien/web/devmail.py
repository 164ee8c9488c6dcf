"""The development mailbox: what the demo's local SMTP sink caught, readable in the browser.

Mounted only by ``gardien serve --dev-mail``, which only development allows (the app factory
checks): otherwise ``/dev/mail`` is a 404. It reads the sink's folder (``GARDIEN_MAIL_SINK_DIR``)
and shows nothing else.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from gardien.mail.sink import SinkMessage, read_sink
from gardien.web.deps import ContainerDep, PagesDep

router = APIRouter(include_in_schema=False)


def _messages(container: ContainerDep) -> list[SinkMessage]:
    folder = container.settings.mail_sink_dir
    return list(read_sink(folder)) if folder is not None and folder.is_dir() else []


@router.get("/dev/mail", response_class=HTMLResponse)
def mailbox(request: Request, container: ContainerDep, pages: PagesDep) -> HTMLResponse:
    policy = container.policy
    return pages.render(
        request,
        "dev_mail.html",
        "en",
        {"policy": policy, "version": container.policy_version, "messages": _messages(container)},
    )


@router.get("/dev/mail/{name}", response_class=HTMLResponse)
def one_message(
    request: Request, name: str, container: ContainerDep, pages: PagesDep
) -> HTMLResponse:
    policy = container.policy
    found = [m for m in _messages(container) if m.name == name]
    if not found:
        raise HTTPException(status_code=404)
    return pages.render(
        request,
        "dev_mail.html",
        "en",
        {"policy": policy, "version": container.policy_version, "message": found[0]},
    )

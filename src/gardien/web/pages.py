"""The public pages and the health endpoint."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from markupsafe import Markup
from sqlalchemy import text

from gardien.services.notice import render_notice
from gardien.web.deps import ContainerDep, TemplatesDep

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, container: ContainerDep, templates: TemplatesDep) -> HTMLResponse:
    policy = container.policy
    return templates.TemplateResponse(
        request,
        "home.html",
        {"policy": policy, "version": policy.version, "today": container.clock.today()},
    )


# The notice in each language: its path, the page title, and the link to the other one.
_NOTICES = {
    "fr": (
        "/confidentialite",
        "Politique de confidentialité",
        "Read the privacy notice in English",
    ),
    "en": ("/privacy", "Privacy notice", "Lire la politique de confidentialité en français"),
}


def _notice_page(
    request: Request, container: ContainerDep, templates: TemplatesDep, lang: str
) -> HTMLResponse:
    policy = container.policy
    other = "en" if lang == "fr" else "fr"
    return templates.TemplateResponse(
        request,
        "notice.html",
        {
            "policy": policy,
            "version": policy.version,
            "lang": lang,
            "title": _NOTICES[lang][1],
            # The notice is rendered by gardien's own templates with autoescaping on.
            "notice": Markup(render_notice(policy, lang=lang, fmt="html")),
            "other_lang": other,
            "other_url": _NOTICES[other][0],
            "other_label": _NOTICES[lang][2],
        },
    )


@router.get("/confidentialite", response_class=HTMLResponse)
def notice_fr(request: Request, container: ContainerDep, templates: TemplatesDep) -> HTMLResponse:
    """La politique de confidentialité, en français."""
    return _notice_page(request, container, templates, "fr")


@router.get("/privacy", response_class=HTMLResponse)
def notice_en(request: Request, container: ContainerDep, templates: TemplatesDep) -> HTMLResponse:
    """The privacy notice, in English."""
    return _notice_page(request, container, templates, "en")


@router.get("/health")
def health(container: ContainerDep) -> JSONResponse:
    """Liveness and readiness: the database answers and the policy is loaded."""
    try:
        with container.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # any failure to answer means "not ready"; details go to the logs
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return JSONResponse(
        {
            "status": "ok" if status == 200 else "degraded",
            "database": database,
            "policy_version": container.policy.version,
            "now": container.clock.now().isoformat(),
        },
        status_code=status,
    )

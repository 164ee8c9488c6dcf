"""The public pages (``/health`` and ``/ready`` are in web/health.py).

The home page and the notice depend on nothing but the policy, loaded once per process, for a
visitor who is not signed in: they are rendered once (in the thread pool: the notice's
rendering is real work) and then served from memory on the event loop (docs/performance.md).
A signed-in visitor's copy names them and offers to sign out: it is rendered each time.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from gardien.services.notice import build_notice, render_notice
from gardien.web.deps import ContainerDep, PagesDep
from gardien.web.security_headers import carries_session
from gardien.web.stylesheet import PATH as STYLESHEET_PATH
from gardien.web.stylesheet import stylesheet_response

router = APIRouter()


# Each language's pages: the notice's path and title, and the link to the other language.
_NOTICES = {
    "fr": (
        "/confidentialite",
        "Politique de confidentialité",
        "Read the privacy notice in English",
    ),
    "en": ("/privacy", "Privacy notice", "Lire la politique de confidentialité en français"),
}
_HOMES = {"fr": ("/", "This page in English"), "en": ("/en", "Cette page en français")}


def _other(lang: str) -> str:
    return "en" if lang == "fr" else "fr"


async def public_page(request: Request, render: Callable[[], HTMLResponse]) -> HTMLResponse:
    """``render``'s page: once per process for visitors who are not signed in, kept by path;
    each time, in the thread pool, for a request that carries a session cookie."""
    if carries_session(request.scope):
        return await run_in_threadpool(render)
    kept: dict[str, bytes] = request.app.state.public_pages
    body = kept.get(request.url.path)
    if body is None:
        body = kept.setdefault(request.url.path, bytes((await run_in_threadpool(render)).body))
    return HTMLResponse(body)


def _home(request: Request, container: ContainerDep, pages: PagesDep, lang: str) -> HTMLResponse:
    policy = container.policy
    other = _other(lang)
    return pages.render(
        request,
        "home.html",
        lang,
        {
            "policy": policy,
            "version": container.policy_version,
            # The home page says in a few lines what the notice says in full.
            "notice": build_notice(policy, lang=lang),
            "other_lang": other,
            "other_url": _HOMES[other][0],
            "other_label": _HOMES[lang][1],
        },
    )


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, container: ContainerDep, pages: PagesDep) -> HTMLResponse:
    """La page d'accueil, en français."""
    return await public_page(request, lambda: _home(request, container, pages, "fr"))


@router.get("/en", response_class=HTMLResponse)
async def home_en(request: Request, container: ContainerDep, pages: PagesDep) -> HTMLResponse:
    """The home page, in English."""
    return await public_page(request, lambda: _home(request, container, pages, "en"))


def _notice_page(
    request: Request, container: ContainerDep, pages: PagesDep, lang: str
) -> HTMLResponse:
    policy = container.policy
    other = _other(lang)
    return pages.render(
        request,
        "notice.html",
        lang,
        {
            "policy": policy,
            "version": container.policy_version,
            "title": _NOTICES[lang][1],
            # The notice is rendered by gardien's own templates with autoescaping on.
            "notice": Markup(render_notice(policy, lang=lang, fmt="html")),
            "other_lang": other,
            "other_url": _NOTICES[other][0],
            "other_label": _NOTICES[lang][2],
        },
    )


@router.get("/confidentialite", response_class=HTMLResponse)
async def notice_fr(request: Request, container: ContainerDep, pages: PagesDep) -> HTMLResponse:
    """La politique de confidentialité, en français."""
    return await public_page(request, lambda: _notice_page(request, container, pages, "fr"))


@router.get("/privacy", response_class=HTMLResponse)
async def notice_en(request: Request, container: ContainerDep, pages: PagesDep) -> HTMLResponse:
    """The privacy notice, in English."""
    return await public_page(request, lambda: _notice_page(request, container, pages, "en"))


@router.get(STYLESHEET_PATH, include_in_schema=False)
def stylesheet(v: str | None = None) -> Response:
    """The site's stylesheet (the CSP allows no inline style); ``v`` is its fingerprint."""
    return stylesheet_response(v)

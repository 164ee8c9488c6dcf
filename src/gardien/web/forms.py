"""What the website's form pages share: languages and their paths, wording, limits, errors.

French pages live at the root (``/newsletter``), English ones under ``/en``. Every page works
without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from gardien.bootstrap import Container
from gardien.errors import InvalidInputError, TooManyRequestsError
from gardien.services.website.newsletter import normalise_email
from gardien.web.deps import get_container, get_limits, get_pages
from gardien.web.templating import Pages

PREFIXES = {"fr": "", "en": "/en"}
# A route handler: a plain function, run in the thread pool (the form comes as ``FormDep``).
Handler = Callable[..., Response]


def page_base(request: Request) -> tuple[Container, Pages, dict[str, Any]]:
    container = get_container(request)
    policy = container.policy
    return container, get_pages(request), {"policy": policy, "version": container.policy_version}


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues; it is translated where it is shown."""
    return message


def translate(request: Request, lang: str, message: str, **values: Any) -> str:
    text = get_pages(request).gettext(lang, message)
    return text % values if values else text


def client_of(request: Request) -> str:
    """The client's network address as the app sees it: the connection's peer, or the address
    a trusted proxy names in X-Forwarded-For (uvicorn's FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else "unknown"


def limit(request: Request, form: str, address: str | None) -> None:
    """Count a submission of ``form`` in the shared counters; raises
    :class:`TooManyRequestsError` past a limit. Handlers run in the thread pool, so the
    database write is off the event loop."""
    get_limits(request).form(form, client_of(request), address)


def message(
    request: Request,
    lang: str,
    heading: str,
    *paragraphs: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> HTMLResponse:
    """A page with a heading and paragraphs, all msgids translated into ``lang``."""
    _container, pages, context = page_base(request)
    return pages.render(
        request,
        "message.html",
        lang,
        {
            **context,
            **extra,
            "heading": translate(request, lang, heading),
            "paragraphs": [translate(request, lang, text) for text in paragraphs],
        },
        status_code=status,
        headers=headers,
    )


def too_many(request: Request, lang: str, error: TooManyRequestsError) -> HTMLResponse:
    return message(
        request,
        lang,
        N_("Too many attempts"),
        N_("Please try again in a few minutes."),
        status=429,
        headers={"Retry-After": str(error.retry_after)},
    )


def field_of(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


# What is wrong with one submission: field name → translated message, in the form's order.
# Every error of a submission is shown at once (templates/_fields.html draws the summary and
# the message under each field).
FieldErrors = dict[str, str]


def field_errors(request: Request, lang: str, problems: dict[str, str]) -> FieldErrors:
    """``problems`` (field → msgid) translated into ``lang``."""
    return {name: translate(request, lang, text) for name, text in problems.items()}


def email_problem(raw: str) -> str | None:
    """The msgid saying what is wrong with a typed e-mail address, or ``None`` if usable."""
    if not raw.strip():
        return N_("Enter your e-mail address.")
    try:
        normalise_email(raw)
    except InvalidInputError:
        return N_("This e-mail address is not valid.")
    return None

"""The newsletter's pages: subscribe, confirm, unsubscribe (fr at the root, en under ``/en``).

Links from e-mails (confirm, unsubscribe) first show a page with a button: link scanners that
open every URL of a message confirm or unsubscribe nobody. The unsubscribe URL also takes a bare
``POST`` (RFC 8058 one-click, no cookie, no authentication): it acts at once and answers 200,
never a redirect. See docs/website.md.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gardien.errors import (
    ExpiredLinkError,
    InvalidInputError,
    InvalidLinkError,
    TooManyRequestsError,
)
from gardien.services.website import newsletter
from gardien.services.website.newsletter import Outcome
from gardien.store.uow import UnitOfWork
from gardien.web.auth import check_csrf
from gardien.web.deps import FormDep, get_container
from gardien.web.forms import (
    N_,
    PREFIXES,
    FieldErrors,
    Handler,
    email_problem,
    field_errors,
    field_of,
    limit,
    page_base,
    too_many,
    translate,
)

router = APIRouter()


def consent_wording(request: Request, lang: str, controller: str) -> str:
    """The exact sentence next to the consent box, stored as the consent proof's wording."""
    return translate(
        request,
        lang,
        N_(
            "I agree to receive the %(name)s newsletter by e-mail. I can withdraw my consent"
            " at any time with the unsubscribe link in every e-mail."
        ),
        name=controller,
    )


def _newsletter_form(
    request: Request, lang: str, *, email: str = "", errors: FieldErrors | None = None
) -> HTMLResponse:
    container, pages, context = page_base(request)
    return pages.render(
        request,
        "newsletter.html",
        lang,
        {
            **context,
            "action": f"{PREFIXES[lang]}/newsletter",
            "email": email,
            "errors": errors or {},
            "wording": consent_wording(request, lang, container.policy.controller.name),
        },
        status_code=400 if errors else 200,
    )


def _check_your_inbox(request: Request, lang: str) -> HTMLResponse:
    container, pages, context = page_base(request)
    months = newsletter.unconfirmed_months(container.policy)
    return pages.render(request, "newsletter_sent.html", lang, {**context, "months": months})


def _subscribe_get(lang: str) -> Handler:
    def page(request: Request) -> Response:
        return _newsletter_form(request, lang)

    return page


def _subscribe_post(lang: str) -> Handler:
    def submit(request: Request, form: FormDep) -> Response:
        check_csrf(request, form)
        email = field_of(form, "email")
        if field_of(form, "website"):
            # The honeypot: a person never sees the field. Answer as usual, store nothing.
            return _check_your_inbox(request, lang)
        problems: dict[str, str] = {}
        if (problem := email_problem(email)) is not None:
            problems["email"] = problem
        if field_of(form, "consent") != "yes":
            problems["consent"] = N_("Tick the box to give your consent.")
        if problems:
            errors = field_errors(request, lang, problems)
            return _newsletter_form(request, lang, email=email, errors=errors)
        try:
            limit(request, "newsletter", email)
            container = get_container(request)
            newsletter.subscribe(
                UnitOfWork(container.engine, write=True),
                container.website(),
                email=email,
                lang=lang,
                source=f"website:{PREFIXES[lang]}/newsletter",
                wording=consent_wording(request, lang, container.policy.controller.name),
            )
        except InvalidInputError:
            errors = field_errors(request, lang, {"email": N_("This e-mail address is not valid.")})
            return _newsletter_form(request, lang, email=email, errors=errors)
        except TooManyRequestsError as error:
            return too_many(request, lang, error)
        return _check_your_inbox(request, lang)

    return submit


def _link_error(request: Request, lang: str, error: InvalidLinkError) -> HTMLResponse:
    _container, pages, context = page_base(request)
    if isinstance(error, ExpiredLinkError):
        heading = translate(request, lang, N_("This link has expired"))
        paragraphs = [
            translate(
                request, lang, N_("Nothing was changed. You can subscribe again from the form.")
            )
        ]
    else:
        heading = translate(request, lang, N_("This link is not valid"))
        paragraphs = [
            translate(
                request,
                lang,
                N_("Nothing was changed. Check that the whole link was copied from the e-mail."),
            )
        ]
    return pages.render(
        request,
        "message.html",
        lang,
        {**context, "heading": heading, "paragraphs": paragraphs},
        status_code=400,
    )


def _outcome_page(request: Request, lang: str, outcome: Outcome) -> HTMLResponse:
    _container, pages, context = page_base(request)
    texts = {
        Outcome.CONFIRMED: (N_("Subscription confirmed"), N_("You will receive our newsletter.")),
        Outcome.ALREADY_CONFIRMED: (
            N_("Subscription confirmed"),
            N_("This subscription was already confirmed."),
        ),
        Outcome.UNSUBSCRIBED: (
            N_("You are unsubscribed"),
            N_("You will receive no more newsletters at this address."),
        ),
        Outcome.ALREADY_GONE: (
            N_("No subscription"),
            N_("There is no subscription for this link any more: nothing will be sent."),
        ),
    }
    heading, paragraph = texts[outcome]
    return pages.render(
        request,
        "message.html",
        lang,
        {
            **context,
            "heading": translate(request, lang, heading),
            "paragraphs": [translate(request, lang, paragraph)],
        },
    )


def _link_page(request: Request, lang: str, kind: str, token: str) -> HTMLResponse:
    _container, pages, context = page_base(request)
    if kind == "confirm":
        heading, explanation, button = (
            N_("Confirm your subscription"),
            N_("Press the button to confirm that you want to receive our newsletter."),
            N_("Confirm my subscription"),
        )
    else:
        heading, explanation, button = (
            N_("Unsubscribe from the newsletter"),
            N_("Press the button to stop receiving our newsletter at this address."),
            N_("Unsubscribe"),
        )
    return pages.render(
        request,
        "newsletter_link.html",
        lang,
        {
            **context,
            "heading": translate(request, lang, heading),
            "explanation": translate(request, lang, explanation),
            "button": translate(request, lang, button),
            "action": f"{PREFIXES[lang]}/newsletter/{kind}/{token}",
        },
    )


def _link_get(lang: str, kind: str) -> Handler:
    def page(request: Request, token: str) -> Response:
        return _link_page(request, lang, kind, token)

    return page


def _link_act(request: Request, lang: str, kind: str, token: str) -> Response:
    container = get_container(request)
    uow = UnitOfWork(container.engine, write=True)
    try:
        if kind == "confirm":
            outcome = newsletter.confirm(uow, container.website(), token)
        else:
            outcome = newsletter.unsubscribe(uow, container.website(), token)
    except InvalidLinkError as error:
        return _link_error(request, lang, error)
    return _outcome_page(request, lang, outcome)


def _link_post(lang: str, kind: str) -> Handler:
    # Confirming comes from our page's button only; unsubscribing must also accept a bare
    # POST from a mail client (RFC 8058), which its signed link protects: it reads no form.
    def confirm(request: Request, token: str, form: FormDep) -> Response:
        check_csrf(request, form)
        return _link_act(request, lang, kind, token)

    def unsubscribe(request: Request, token: str) -> Response:
        return _link_act(request, lang, kind, token)

    return confirm if kind == "confirm" else unsubscribe


for _lang, _prefix in PREFIXES.items():
    router.add_api_route(
        f"{_prefix}/newsletter", _subscribe_get(_lang), methods=["GET"], include_in_schema=False
    )
    router.add_api_route(
        f"{_prefix}/newsletter", _subscribe_post(_lang), methods=["POST"], include_in_schema=False
    )
    for _kind in ("confirm", "unsubscribe"):
        _path = f"{_prefix}/newsletter/{_kind}/{{token}}"
        router.add_api_route(
            _path, _link_get(_lang, _kind), methods=["GET"], include_in_schema=False
        )
        router.add_api_route(
            _path, _link_post(_lang, _kind), methods=["POST"], include_in_schema=False
        )

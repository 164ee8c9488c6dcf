"""The e-mail after an erasure: the same answer as the page, for the person to keep.

An erasure leaves the person nothing to sign in to, so what they read on the page (their data
is erased, the request's reference, each record a legal duty keeps: what, why, until when, on
which legal basis) is also sent to them, in the page's language, with the words of
:mod:`gardien.services.erasure_words`. The message is queued in the erasure's own transaction
(:func:`queue_erasure_mail` is given its connection): the erasure and its e-mail happen
together or not at all. The learner's row is gone by then, so the address is given by the
caller, and the queued message belongs to no learner; like every e-mail of the outbox it is
deleted by the policy's ``outbox_message`` rule (3 months after it was queued by default).

Self-service erasure (« Mes données ») uses it, and so does the DPO console for an erasure
request filed by e-mail link (with the request's follow-up page, ``follow``).
"""

from __future__ import annotations

from sqlalchemy import Connection

from gardien.mail.render import RenderedMail
from gardien.policy import Policy
from gardien.services.accounts.context import AccountServices
from gardien.services.accounts.mails import notice_url, queue_rendered, render_account_mail
from gardien.services.erasure import ErasureResult
from gardien.services.erasure_words import erasure_in_words

ERASURE_MAIL = "erasure_done"


def compose_erasure_mail(
    result: ErasureResult,
    policy: Policy,
    *,
    reference: str,
    lang: str,
    notice: str,
    follow: str | None = None,
) -> RenderedMail:
    """The subject and body telling the person of ``result`` (request ``reference``) in
    ``lang``; ``notice`` is the address of the notice in that language. ``follow``: the
    request's follow-up page, for an erasure the DPO carried out on a request filed by e-mail
    link (the person has no account to close; the page keeps the answer)."""
    outbox_rule = next((r for r in policy.retention.values() if r.record == "outbox_message"), None)
    return render_account_mail(
        ERASURE_MAIL,
        lang,
        {
            "erasure": erasure_in_words(result, policy, reference=reference, lang=lang),
            "copy_months": outbox_rule.months if outbox_rule is not None else 0,
            "follow": follow,
        },
        controller_name=policy.controller.name,
        notice_url=notice,
    )


def queue_erasure_mail(
    connection: Connection,
    services: AccountServices,
    *,
    result: ErasureResult,
    reference: str,
    lang: str,
    address: str,
    follow: str | None = None,
) -> None:
    """Queue the e-mail of ``result`` to ``address`` in ``lang``, in the caller's transaction
    (the erasure's, so that neither happens without the other). Queuing it twice for the same
    request is a no-op."""
    mail = compose_erasure_mail(
        result,
        services.policy,
        reference=reference,
        lang=lang,
        notice=notice_url(services, lang),
        follow=follow,
    )
    queue_rendered(
        connection,
        services,
        mail,
        kind=ERASURE_MAIL,
        recipient=address.strip().lower(),
        dedupe=reference,
    )

"""The newsletter: double opt-in with a proof of consent, one-click unsubscription, campaigns.

- :func:`subscribe` stores a *pending* subscription with its consent proof (when, from which
  form, which notice version, the exact wording agreed to; no IP address) and queues a
  confirmation e-mail whose signed link lasts as long as the policy keeps an unconfirmed
  subscription (rule on clock ``unconfirmed``); the sweep deletes it after that.
- :func:`confirm` turns it *confirmed*; twice is harmless.
- :func:`unsubscribe` acts at once: with the policy's ``unsubscribed`` rule at 0 months the
  address is deleted there and then, otherwise it is kept, marked, until the sweep. Newsletters
  queued for the address and not yet sent are withdrawn. Twice is harmless.
- :func:`queue_campaign` queues one e-mail per confirmed subscriber through the outbox, each
  with a visible unsubscribe link and the RFC 8058 headers; queuing the same campaign again
  queues nothing more.

Each function works in the caller's unit of work and commits it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from email_validator import EmailNotValidError, validate_email
from markupsafe import Markup
from sqlalchemy import Connection, delete, insert, select, update

from gardien.domain.clock import Clock
from gardien.domain.lookup import SubjectLookup
from gardien.domain.retention import add_months
from gardien.errors import InvalidInputError, InvalidLinkError
from gardien.i18n.dates import format_day
from gardien.policy import Policy
from gardien.services.signing import address_digest
from gardien.services.website.campaign import Campaign
from gardien.services.website.render import render
from gardien.services.website.tokens import Purpose, make_token, read_token
from gardien.store.audit import append_audit
from gardien.store.erasure_applied import lineage_of, mark_applied
from gardien.store.erasure_ledger import UNSUBSCRIBE, ErasureLedger, new_entry
from gardien.store.outbox import NewMessage, queue_messages
from gardien.store.tables import newsletter_subscription, outbox_message
from gardien.store.uow import UnitOfWork

CONFIRMATION = "newsletter_confirmation"
NEWSLETTER = "newsletter"
# Pages of the site, per language: where the links of the e-mails lead.
PATHS = {
    "fr": {"prefix": "", "notice": "/confidentialite"},
    "en": {"prefix": "/en", "notice": "/privacy"},
}
_BATCH = 500


@dataclass(frozen=True)
class Site:
    """What the newsletter needs from its surroundings: policy, time, signing key, public URL."""

    policy: Policy
    clock: Clock
    secret: str
    public_url: str
    # Where an unsubscription is also written, outside the database, so that a restored backup
    # cannot subscribe the person again (docs/backups.md); with the keyed lookups it names.
    ledger: ErasureLedger | None = None
    lookup: SubjectLookup | None = None

    def url(self, lang: str, path: str) -> str:
        return f"{self.public_url.rstrip('/')}{PATHS[lang]['prefix']}{path}"

    def notice_url(self, lang: str) -> str:
        return f"{self.public_url.rstrip('/')}{PATHS[lang]['notice']}"


class Outcome(StrEnum):
    """What a call did, for the page to say (never whether an address was known before)."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    UNSUBSCRIBED = "unsubscribed"
    ALREADY_GONE = "already_gone"


def normalise_email(raw: str) -> str:
    """The address as stored: checked for syntax, lower-cased; :class:`InvalidInputError` else."""
    try:
        valid = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise InvalidInputError("not a valid e-mail address", field="email") from None
    return valid.normalized.lower()


def unconfirmed_months(policy: Policy) -> int:
    """How long the policy keeps a subscription nobody confirms (its ``unconfirmed`` rule)."""
    for rule in policy.retention.values():
        if rule.record == "newsletter_subscription" and rule.clock == "unconfirmed":
            return rule.months
    raise InvalidInputError("the policy has no rule for unconfirmed newsletter subscriptions")


def _kept_after_unsubscribing(policy: Policy) -> bool:
    for rule in policy.retention.values():
        if rule.record == "newsletter_subscription" and rule.clock == "unsubscribed":
            return rule.months > 0
    return False


def subscribe(
    uow: UnitOfWork, site: Site, *, email: str, lang: str, source: str, wording: str
) -> Outcome:
    """Record a consent given on form ``source`` with the exact ``wording`` shown.

    A new or pending address gets (again) a confirmation e-mail; a confirmed one is left as
    it is and gets none, and the answer is the same, so the form tells nobody who subscribed.
    """
    address = normalise_email(email)
    now = site.clock.now()
    s = newsletter_subscription.c
    consent = {
        "consent_at": now,
        "consent_source": source,
        "consent_notice_version": site.policy.version,
        "consent_wording": wording,
    }
    with uow:
        connection = uow.connection
        row = connection.execute(select(s.id, s.status).where(s.email == address)).one_or_none()
        if row is not None and row.status == "confirmed":
            return Outcome.PENDING
        if row is None:
            subscription_id = connection.execute(
                insert(newsletter_subscription)
                .values(email=address, status="pending", created_at=now, **consent)
                .returning(s.id)
            ).scalar_one()
        else:
            subscription_id = row.id
            connection.execute(
                update(newsletter_subscription)
                .where(s.id == row.id)
                .values(status="pending", created_at=now, unsubscribed_at=None, **consent)
            )
        _queue_confirmation(connection, site, subscription_id, address, lang, now)
        uow.commit()
    return Outcome.PENDING


def _queue_confirmation(
    connection: Connection, site: Site, subscription_id: int, address: str, lang: str, now: datetime
) -> None:
    # The link lasts exactly as long as the unconfirmed subscription is kept.
    valid_until = add_months(now.date(), unconfirmed_months(site.policy))
    token = make_token(
        site.secret,
        Purpose.CONFIRM,
        subscription_id=subscription_id,
        email=address,
        valid_until=valid_until,
    )
    context = {
        "controller_name": site.policy.controller.name,
        "confirm_url": site.url(lang, f"/newsletter/confirm/{token}"),
        "valid_until": format_day(valid_until, lang),
        "notice_url": site.notice_url(lang),
    }
    queue_messages(
        connection,
        [
            NewMessage(
                dedupe_key=f"{CONFIRMATION}:{subscription_id}:{now.isoformat()}",
                kind=CONFIRMATION,
                recipient=address,
                subject=" ".join(render("confirm.subject.j2", lang, context).split()),
                body=render("confirm.body.j2", lang, context).rstrip() + "\n",
                send_after=now,
            )
        ],
        now=now,
    )


def _subscription(
    connection: Connection, purpose: Purpose, token: str, site: Site
) -> tuple[int, str, str] | None:
    """(id, address, status) of the subscription a genuine token names, None if it is gone.

    A token whose address is not the subscription's (it was issued for another address that
    the row no longer holds) is refused like a forged one.
    """
    claims = read_token(site.secret, purpose, token, today=site.clock.today())
    s = newsletter_subscription.c
    row = connection.execute(
        select(s.id, s.email, s.status).where(s.id == claims.subscription_id)
    ).one_or_none()
    if row is None:
        return None
    if address_digest(row.email) != claims.address_digest:
        raise InvalidLinkError("token for another address")
    return row.id, row.email, row.status


def confirm(uow: UnitOfWork, site: Site, token: str) -> Outcome:
    """Confirm the subscription of a genuine confirmation token (idempotent).

    Raises :class:`InvalidLinkError` (or :class:`ExpiredLinkError`); a subscription deleted
    since (unsubscribed, or swept unconfirmed) is :data:`Outcome.ALREADY_GONE`.
    """
    with uow:
        found = _subscription(uow.connection, Purpose.CONFIRM, token, site)
        if found is None:
            return Outcome.ALREADY_GONE
        subscription_id, _, status = found
        if status == "confirmed":
            return Outcome.ALREADY_CONFIRMED
        if status == "unsubscribed":
            return Outcome.ALREADY_GONE
        uow.connection.execute(
            update(newsletter_subscription)
            .where(newsletter_subscription.c.id == subscription_id)
            .values(status="confirmed", confirmed_at=site.clock.now())
        )
        uow.commit()
    return Outcome.CONFIRMED


def unsubscribe(uow: UnitOfWork, site: Site, token: str, *, actor: str = "website") -> Outcome:
    """Unsubscribe at once the subscription of a genuine unsubscribe token (idempotent).

    With a ledger on ``site``, the unsubscription is first written there (keyed lookups of
    the address only), then recorded applied with it, as an erasure is (docs/backups.md).
    """
    now = site.clock.now()
    entries: list[str] = []
    if site.ledger is not None and site.lookup is not None:
        with uow:
            found = _subscription(uow.connection, Purpose.UNSUBSCRIBE, token, site)
        if found is None or found[2] == "unsubscribed":
            return Outcome.ALREADY_GONE
        entry = new_entry(
            now=now, lookups=tuple(site.lookup.candidates(found[1])), kind=UNSUBSCRIBE
        )
        site.ledger.append(lineage_of(uow.engine), entry)
        entries.append(entry.id)
    with uow:
        connection = uow.connection
        found = _subscription(connection, Purpose.UNSUBSCRIBE, token, site)
        if found is None or found[2] == "unsubscribed":
            mark_applied(connection, entries, now=now)
            uow.commit()
            return Outcome.ALREADY_GONE
        subscription_id, address, _ = found
        _unsubscribe_row(connection, site.policy, subscription_id, address, now=now, actor=actor)
        mark_applied(connection, entries, now=now)
        uow.commit()
    return Outcome.UNSUBSCRIBED


def unsubscribe_address(
    connection: Connection, policy: Policy, address: str, *, now: datetime, actor: str
) -> int:
    """Unsubscribe every subscription of ``address`` not unsubscribed yet, as a link would
    (the replay of a ledger's unsubscription after a restore); how many."""
    s = newsletter_subscription.c
    rows = connection.execute(
        select(s.id).where(s.email == address, s.status != "unsubscribed")
    ).all()
    for (subscription_id,) in rows:
        _unsubscribe_row(connection, policy, subscription_id, address, now=now, actor=actor)
    return len(rows)


def _unsubscribe_row(
    connection: Connection,
    policy: Policy,
    subscription_id: int,
    address: str,
    *,
    now: datetime,
    actor: str,
) -> None:
    s = newsletter_subscription.c
    # Newsletters queued for the address and not sent yet are withdrawn with it.
    withdrawn = connection.execute(
        delete(outbox_message).where(
            outbox_message.c.recipient == address,
            outbox_message.c.kind.in_([NEWSLETTER, CONFIRMATION]),
            outbox_message.c.sent_at.is_(None),
        )
    ).rowcount
    if _kept_after_unsubscribing(policy):
        connection.execute(
            update(newsletter_subscription)
            .where(s.id == subscription_id)
            .values(status="unsubscribed", unsubscribed_at=now)
        )
    else:
        connection.execute(delete(newsletter_subscription).where(s.id == subscription_id))
    append_audit(
        connection,
        action="newsletter.unsubscribed",
        actor=actor,
        details={
            "subscription": f"newsletter_subscription:{subscription_id}",
            "deleted": not _kept_after_unsubscribing(policy),
            "withdrawn_messages": withdrawn or 0,
        },
        recorded_at=now,
    )


def unsubscribe_url(site: Site, lang: str, subscription_id: int, address: str) -> str:
    """The one-click unsubscribe URL of one subscription (no expiry: old e-mails keep working)."""
    token = make_token(
        site.secret, Purpose.UNSUBSCRIBE, subscription_id=subscription_id, email=address
    )
    return site.url(lang, f"/newsletter/unsubscribe/{token}")


def campaign_message(
    site: Site, campaign: Campaign, subscription_id: int, address: str, now: datetime
) -> NewMessage:
    """One subscriber's copy of ``campaign``: link in the body, RFC 8058 headers."""
    lang = campaign.lang
    link = unsubscribe_url(site, lang, subscription_id, address)
    context = {
        "controller_name": site.policy.controller.name,
        "unsubscribe_url": link,
        "notice_url": site.notice_url(lang),
        "subject": campaign.subject,
        # Markdown rendered with raw HTML escaped (services/website/campaign.py): safe markup.
        "content": Markup(campaign.html),
        "lang": lang,
    }
    return NewMessage(
        dedupe_key=f"{NEWSLETTER}:{campaign.id}:{subscription_id}",
        kind=NEWSLETTER,
        recipient=address,
        subject=campaign.subject,
        body=campaign.text.rstrip() + "\n" + render("campaign.footer.j2", lang, context),
        html_body=render("campaign.html.j2", lang, context),
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        send_after=now,
    )


def _confirmed(connection: Connection) -> Iterator[tuple[int, str]]:
    s = newsletter_subscription.c
    after = 0
    while True:
        rows = connection.execute(
            select(s.id, s.email)
            .where(s.status == "confirmed", s.id > after)
            .order_by(s.id)
            .limit(_BATCH)
        ).all()
        yield from ((row.id, row.email) for row in rows)
        if len(rows) < _BATCH:
            return
        after = rows[-1].id


def queue_campaign(uow: UnitOfWork, site: Site, campaign: Campaign) -> tuple[int, int]:
    """Queue ``campaign`` for every confirmed subscriber: (newly queued, confirmed subscribers).

    The dedupe key names the campaign (a digest of its file) and the subscription: queuing the
    same campaign twice, or after a crash, sends nobody a second copy.
    """
    now = site.clock.now()
    queued = subscribers = 0
    with uow:
        connection = uow.connection
        batch: list[NewMessage] = []
        for subscription_id, address in list(_confirmed(connection)):
            subscribers += 1
            batch.append(campaign_message(site, campaign, subscription_id, address, now))
            if len(batch) == _BATCH:
                queued += len(queue_messages(connection, batch, now=now))
                batch = []
        queued += len(queue_messages(connection, batch, now=now))
        append_audit(
            connection,
            action="newsletter.campaign_queued",
            actor="cli",
            details={"campaign": campaign.id, "queued": queued, "subscribers": subscribers},
            recorded_at=now,
        )
        uow.commit()
    return queued, subscribers

"""The newsletter's use cases on a real database: consent proof, double opt-in, one-click
unsubscription, campaigns through the outbox, and the sweep of unconfirmed subscriptions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, inspect, select, update

from gardien.domain.clock import FixedClock
from gardien.errors import ExpiredLinkError, InvalidInputError, InvalidLinkError
from gardien.policy import Policy
from gardien.services.sweep import sweep
from gardien.services.website import newsletter
from gardien.services.website.campaign import parse_campaign
from gardien.services.website.newsletter import Outcome, Site
from gardien.services.website.tokens import Purpose, make_token
from gardien.store.audit import verify_audit
from gardien.store.outbox import pending_messages
from gardien.store.tables import audit_entry, newsletter_subscription, outbox_message
from gardien.store.uow import UnitOfWork
from tests.support.lookup import LOOKUP
from tests.support.retention_samples import default_policy

SECRET = "newsletter-test-secret"
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
WORDING = "J'accepte de recevoir la lettre d'information."


@pytest.fixture(scope="module")
def policy() -> Policy:
    return default_policy()


def site(policy: Policy, at: datetime = NOW) -> Site:
    return Site(
        policy=policy, clock=FixedClock(at), secret=SECRET, public_url="https://www.example.org"
    )


def uow(engine: Engine) -> UnitOfWork:
    return UnitOfWork(engine, write=True)


def subscribe(
    engine: Engine, policy: Policy, email: str, at: datetime = NOW, lang: str = "fr"
) -> None:
    outcome = newsletter.subscribe(
        uow(engine),
        site(policy, at),
        email=email,
        lang=lang,
        source="website:/newsletter",
        wording=WORDING,
    )
    assert outcome is Outcome.PENDING


def rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [
            dict(row._mapping)
            for row in connection.execute(
                select(newsletter_subscription).order_by(newsletter_subscription.c.id)
            )
        ]


def outbox(engine: Engine, kind: str | None = None) -> list[Any]:
    with engine.connect() as connection:
        messages = pending_messages(connection, now=NOW + timedelta(days=3650), limit=1000)
    return [m for m in messages if kind is None or m.kind == kind]


def link(message: Any, kind: str) -> str:
    found = re.search(rf"/newsletter/{kind}/([A-Za-z0-9_\-.]+)", message.body)
    assert found, message.body
    return found.group(1)


def confirmed(engine: Engine, policy: Policy, email: str) -> None:
    subscribe(engine, policy, email)
    [mail] = [m for m in outbox(engine, newsletter.CONFIRMATION) if m.recipient == email]
    assert newsletter.confirm(uow(engine), site(policy), link(mail, "confirm")) is Outcome.CONFIRMED


def test_a_subscription_stores_its_consent_proof_and_no_ip_address(
    engine: Engine, policy: Policy
) -> None:
    subscribe(engine, policy, " Ana.Martin@Example.org ")
    [row] = rows(engine)
    assert row["email"] == "ana.martin@example.org"
    assert row["status"] == "pending"
    assert row["consent_at"] == NOW
    assert row["consent_source"] == "website:/newsletter"
    assert row["consent_notice_version"] == policy.version
    assert row["consent_wording"] == WORDING
    assert row["confirmed_at"] is None
    columns = {c["name"] for c in inspect(engine).get_columns("newsletter_subscription")}
    assert not {name for name in columns if "ip" in name.split("_")}
    [mail] = outbox(engine)
    assert mail.kind == newsletter.CONFIRMATION
    assert mail.recipient == "ana.martin@example.org"
    assert "La lettre" not in mail.subject and "Confirmez votre inscription" in mail.subject
    assert "10/04/2026" in mail.body  # valid as long as the policy keeps it unconfirmed


def test_the_english_confirmation_writes_its_date_as_people_do(
    engine: Engine, policy: Policy
) -> None:
    subscribe(engine, policy, "ana.martin@example.org", lang="en")
    [mail] = outbox(engine)
    assert "The link is valid until 10 April 2026." in " ".join(mail.body.split())


def test_a_bad_address_is_refused_and_nothing_is_stored(engine: Engine, policy: Policy) -> None:
    with pytest.raises(InvalidInputError):
        subscribe(engine, policy, "not an address")
    assert rows(engine) == []
    assert outbox(engine) == []


def test_the_confirmation_link_confirms_once_and_twice_is_harmless(
    engine: Engine, policy: Policy
) -> None:
    subscribe(engine, policy, "ana@example.org")
    token = link(outbox(engine)[0], "confirm")
    assert newsletter.confirm(uow(engine), site(policy), token) is Outcome.CONFIRMED
    assert newsletter.confirm(uow(engine), site(policy), token) is Outcome.ALREADY_CONFIRMED
    [row] = rows(engine)
    assert (row["status"], row["confirmed_at"]) == ("confirmed", NOW)


def test_subscribing_again_when_confirmed_changes_nothing_and_sends_nothing(
    engine: Engine, policy: Policy
) -> None:
    confirmed(engine, policy, "ana@example.org")
    before = rows(engine)
    subscribe(engine, policy, "ana@example.org", at=NOW + timedelta(days=2))
    assert rows(engine) == before
    assert len(outbox(engine, newsletter.CONFIRMATION)) == 1


def test_forged_expired_and_cross_address_links_are_refused_and_change_nothing(
    engine: Engine, policy: Policy
) -> None:
    subscribe(engine, policy, "ana@example.org")
    subscribe(engine, policy, "bob@example.org")
    ana, bob = rows(engine)
    genuine = link(outbox(engine)[0], "confirm")
    attempts = [
        # Forged: another key.
        make_token("guessed", Purpose.CONFIRM, subscription_id=ana["id"], email=ana["email"]),
        # Cross-address: a genuine signature for Bob's address, pointed at Ana's subscription.
        make_token(SECRET, Purpose.CONFIRM, subscription_id=ana["id"], email=bob["email"]),
        # Wrong purpose: an unsubscribe token used to confirm.
        make_token(SECRET, Purpose.UNSUBSCRIBE, subscription_id=ana["id"], email=ana["email"]),
        genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),
    ]
    for token in attempts:
        with pytest.raises(InvalidLinkError) as caught:
            newsletter.confirm(uow(engine), site(policy), token)
        assert not isinstance(caught.value, ExpiredLinkError)
    # Expired: a month (the policy's delay) and a day later.
    with pytest.raises(ExpiredLinkError):
        newsletter.confirm(uow(engine), site(policy, NOW + timedelta(days=32)), genuine)
    assert [r["status"] for r in rows(engine)] == ["pending", "pending"]
    # Unsubscribe links are checked the same way.
    with pytest.raises(InvalidLinkError):
        newsletter.unsubscribe(
            uow(engine),
            site(policy),
            make_token(SECRET, Purpose.UNSUBSCRIBE, subscription_id=ana["id"], email=bob["email"]),
        )
    assert len(rows(engine)) == 2


def campaign(text: str = "Bonjour,\n\nVoici **nos nouveautés**.") -> Any:
    return parse_campaign(f"Subject: Nouveautés de mars\n\n{text}\n")


def test_a_campaign_reaches_confirmed_subscribers_only_once_with_its_unsubscribe_headers(
    engine: Engine, policy: Policy
) -> None:
    confirmed(engine, policy, "ana@example.org")
    confirmed(engine, policy, "bob@example.org")
    subscribe(engine, policy, "pending@example.org")
    queued, subscribers = newsletter.queue_campaign(uow(engine), site(policy), campaign())
    assert (queued, subscribers) == (2, 2)
    assert newsletter.queue_campaign(uow(engine), site(policy), campaign()) == (0, 2)
    mails = outbox(engine, newsletter.NEWSLETTER)
    assert sorted(m.recipient for m in mails) == ["ana@example.org", "bob@example.org"]
    for mail in mails:
        assert mail.headers is not None
        assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = mail.headers["List-Unsubscribe"]
        assert re.fullmatch(r"<https://www\.example\.org/newsletter/unsubscribe/[^>\s]+>", url)
        assert url[1:-1] in mail.body  # the same link, visible in the body
        assert mail.html_body is not None and url[1:-1] in mail.html_body
        assert "<strong>nos nouveautés</strong>" in mail.html_body


def test_unsubscribing_deletes_the_address_withdraws_what_is_queued_and_is_harmless_twice(
    engine: Engine, policy: Policy
) -> None:
    confirmed(engine, policy, "ana@example.org")
    confirmed(engine, policy, "bob@example.org")
    newsletter.queue_campaign(uow(engine), site(policy), campaign())
    [ana_mail] = [m for m in outbox(engine, "newsletter") if m.recipient == "ana@example.org"]
    token = link(ana_mail, "unsubscribe")

    assert newsletter.unsubscribe(uow(engine), site(policy), token) is Outcome.UNSUBSCRIBED
    assert newsletter.unsubscribe(uow(engine), site(policy), token) is Outcome.ALREADY_GONE
    assert [r["email"] for r in rows(engine)] == ["bob@example.org"]
    assert [m.recipient for m in outbox(engine, "newsletter")] == ["bob@example.org"]
    # The next campaign does not reach the address.
    newsletter.queue_campaign(uow(engine), site(policy), campaign("Deuxième lettre."))
    assert {m.recipient for m in outbox(engine, "newsletter")} == {"bob@example.org"}
    with engine.connect() as connection:
        details = connection.execute(
            select(audit_entry.c.details).where(audit_entry.c.action == "newsletter.unsubscribed")
        ).scalar_one()
        assert verify_audit(connection).ok
    assert "example.org" not in str(details)


def test_a_policy_that_keeps_unsubscribed_addresses_marks_them_until_the_sweep(
    engine: Engine, policy: Policy
) -> None:
    rule = policy.retention["newsletter"].model_copy(update={"months": 3})
    keeping = policy.model_copy(update={"retention": {**policy.retention, "newsletter": rule}})
    confirmed(engine, keeping, "ana@example.org")
    newsletter.queue_campaign(uow(engine), site(keeping), campaign())
    token = link(outbox(engine, "newsletter")[0], "unsubscribe")
    assert newsletter.unsubscribe(uow(engine), site(keeping), token) is Outcome.UNSUBSCRIBED
    [row] = rows(engine)
    assert (row["status"], row["unsubscribed_at"]) == ("unsubscribed", NOW)
    newsletter.queue_campaign(uow(engine), site(keeping), campaign("Encore."))
    assert outbox(engine, "newsletter") == []


@pytest.mark.parametrize(
    ("as_of", "left"),
    [(date(2026, 4, 10), 1), (date(2026, 4, 11), 0)],
    ids=["last-day-kept", "first-day-deleted"],
)
def test_the_sweep_deletes_subscriptions_never_confirmed_after_the_policys_delay(
    engine: Engine, policy: Policy, as_of: date, left: int
) -> None:
    subscribe(engine, policy, "never@example.org")
    confirmed(engine, policy, "ana@example.org")
    # Ana confirmed long ago: the unconfirmed rule never touches her.
    with engine.begin() as connection:
        connection.execute(
            update(newsletter_subscription)
            .where(newsletter_subscription.c.email == "ana@example.org")
            .values(created_at=NOW - timedelta(days=900))
        )
    report = sweep(engine, policy=policy, clock=FixedClock.on(as_of), lookup=LOOKUP)
    unconfirmed = next(r for r in report.rules if r.rule == "newsletter_unconfirmed")
    assert unconfirmed.expired == 1 - left
    assert sorted(r["email"] for r in rows(engine)) == (
        ["ana@example.org", "never@example.org"] if left else ["ana@example.org"]
    )
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(outbox_message)).scalar_one()

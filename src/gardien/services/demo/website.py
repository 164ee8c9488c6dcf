"""The website's records: newsletter subscriptions with their consent proof, contact messages.

Some subscribers and senders are learners (the same address), most are other visitors. The
first records of each kind are placed on the edges that matter: one subscription of each
status, contact messages just inside and just past their 18 months.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Literal

from dateutil.relativedelta import relativedelta

from gardien.services.demo import catalogue
from gardien.services.demo.people import Person, Registry
from gardien.services.demo.timeline import at_random_time, between, days
from gardien.services.importing.document import ContactMessageIn, NewsletterSubscriptionIn

Status = Literal["pending", "confirmed", "unsubscribed"]
_FIRST_STATUSES: tuple[Status, ...] = ("confirmed", "pending", "unsubscribed")
# Share (%) of subscribers and senders who are also learners.
LEARNER_PERCENT = 25


def subscriptions(
    rng: random.Random, people: Registry, learners: list[Person], *, count: int, today: date
) -> list[NewsletterSubscriptionIn]:
    """``count`` subscriptions: confirmed, pending and unsubscribed, with their consent proof."""
    taken: set[str] = set()
    result: list[NewsletterSubscriptionIn] = []
    yesterday = today - days(1)
    for index in range(count):
        status = _FIRST_STATUSES[index] if index < len(_FIRST_STATUSES) else _status(rng)
        person, is_learner = _someone(rng, people, learners, taken)
        email = person.email
        taken.add(email)
        if status == "pending":  # waiting for the click in the confirmation e-mail
            created = at_random_time(rng, yesterday - days(rng.randint(0, 20)))
        else:
            created = at_random_time(rng, yesterday - days(rng.randint(2, 6 * 365)))
        version, wording = _notice(created.date())
        confirmed = None
        if status != "pending":
            confirmed = created + timedelta(minutes=rng.randint(2, 2 * 24 * 60))
        unsubscribed = None
        if status == "unsubscribed" and confirmed is not None:
            unsubscribed = between(rng, confirmed, at_random_time(rng, yesterday))
            unsubscribed = max(unsubscribed, confirmed + timedelta(minutes=1))
        sources = catalogue.CONSENT_SOURCES if is_learner else catalogue.CONSENT_SOURCES[:2]
        result.append(
            NewsletterSubscriptionIn(
                email=email,
                status=status,
                created_at=created,
                consent_at=created,
                consent_source=rng.choice(sources),
                consent_notice_version=version,
                consent_wording=wording,
                confirmed_at=confirmed,
                unsubscribed_at=unsubscribed,
            )
        )
    return result


def contact_messages(
    rng: random.Random, people: Registry, learners: list[Person], *, count: int, today: date
) -> list[ContactMessageIn]:
    """``count`` messages; the first ones recent, about to expire, just expired, and old."""
    eighteen_months_ago = today - relativedelta(months=18)
    edges = (
        today - days(rng.randint(2, 30)),
        eighteen_months_ago + days(rng.randint(1, 27)),
        eighteen_months_ago - days(rng.randint(1, 27)),
        today - days(rng.randint(3 * 365, 4 * 365)),
    )
    senders: list[Person] = []
    seen: set[tuple[str, datetime]] = set()
    result: list[ContactMessageIn] = []
    for index in range(count):
        if senders and rng.randrange(100) < 10:
            sender = rng.choice(senders)  # someone who writes again
        else:
            sender, _ = _someone(rng, people, learners, set())
            senders.append(sender)
        email = sender.email
        if index < len(edges):
            last = at_random_time(rng, edges[index])
        else:
            last = at_random_time(rng, today - days(rng.randint(1, 5 * 365)))
        received = last - timedelta(minutes=rng.randint(0, 15 * 24 * 60))
        while (email, received) in seen:
            received -= timedelta(seconds=1)
        seen.add((email, received))
        path = rng.choice(catalogue.PATHS)
        result.append(
            ContactMessageIn(
                name=sender.name,
                email=email,
                message=rng.choice(catalogue.CONTACT_MESSAGES).format(path=path.title),
                received_at=received,
                last_exchange_at=last,
            )
        )
    return result


def _status(rng: random.Random) -> Status:
    roll = rng.randrange(100)
    return "confirmed" if roll < 60 else "unsubscribed" if roll < 90 else "pending"


def _someone(
    rng: random.Random, people: Registry, learners: list[Person], taken: set[str]
) -> tuple[Person, bool]:
    """Now and then a learner (whose address is not in ``taken``), else a new visitor."""
    if learners and rng.randrange(100) < LEARNER_PERCENT:
        learner = rng.choice(learners)
        if learner.email not in taken:
            return learner, True
    return people.person(), False


def _notice(day: date) -> tuple[str, str]:
    """The notice version in force on ``day`` and the consent wording it showed."""
    current = catalogue.NOTICE_VERSIONS[0]
    for version in catalogue.NOTICE_VERSIONS:
        if date.fromisoformat(version[0]) <= day:
            current = version
    return current

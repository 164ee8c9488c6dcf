"""The retention rules of the default policy for what the website collects (newsletter
subscriptions, contact messages), swept the day before, the day of and the day after its end (the
last day a record is kept, then the first day it is expired).

The boundary days are computed with the domain's arithmetic; ``test_worked_examples`` (in
``test_sweep_worked_examples``) checks that arithmetic against dates worked out by hand, one per
scenario. Most sweeps go through the service; some through the command line,
``gardien sweep --as-of DATE --json``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from gardien.store.tables import contact_message, newsletter_subscription
from tests.integration.conftest import Sweeper
from tests.support.retention_samples import (
    KEPT,
    boundary,
    document,
    leftovers,
    load,
    only,
    rows,
    run_sweep,
    subscription_doc,
)
from tests.support.sweep_people import (
    LAST_EXCHANGE,
    LEAVER,
    READER,
    UNSUBSCRIBED,
    load_messages,
    load_subscribers,
)

# -- newsletter subscribers ---------------------------------------------------------------------


def test_an_unsubscribed_address_goes_the_day_after(
    engine: Engine, sweeper: Sweeper, when: str
) -> None:
    load_subscribers(engine)
    subscriptions = rows(engine, newsletter_subscription)

    counts = sweeper(boundary(UNSUBSCRIBED, 0).day(when))

    if KEPT[when]:
        only(counts)
        assert rows(engine, newsletter_subscription) == subscriptions
        return
    only(counts, newsletter=1)
    assert [s["email"] for s in rows(engine, newsletter_subscription)] == [READER]
    assert leftovers(engine, [LEAVER]) == []


def test_an_unsubscribed_address_without_its_date_is_refused(engine: Engine) -> None:
    # The rule's clock is the unsubscription instant. A subscription marked unsubscribed
    # without one would never expire: the import and the database both refuse it.
    undated = subscription_doc(LEAVER, None) | {"status": "unsubscribed"}
    with pytest.raises(ValidationError, match="unsubscribed_at is required"):
        load(engine, document(newsletter_subscriptions=[undated]))
    row = {
        "email": LEAVER,
        "status": "unsubscribed",
        "created_at": datetime(2024, 1, 1, tzinfo=UTC),
        "consent_at": datetime(2024, 1, 1, tzinfo=UTC),
        "consent_source": "footer",
        "consent_notice_version": "v1",
        "consent_wording": "Oui",
    }
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert(newsletter_subscription).values(row))
    assert rows(engine, newsletter_subscription) == []


@pytest.mark.parametrize("day", [date(2016, 1, 1), date(2026, 5, 21), date(2099, 12, 31)])
def test_a_subscriber_is_kept_whatever_the_date(engine: Engine, day: date) -> None:
    load_subscribers(engine)
    (reader,) = rows(engine, newsletter_subscription, newsletter_subscription.c.email == READER)
    run_sweep(engine, day)
    assert rows(engine, newsletter_subscription, newsletter_subscription.c.email == READER) == [
        reader
    ]


# -- contact messages ---------------------------------------------------------------------------


def test_a_contact_message_goes_18_months_after_the_last_exchange(
    engine: Engine, sweeper: Sweeper, when: str
) -> None:
    load_messages(engine)
    messages = rows(engine, contact_message)

    counts = sweeper(boundary(LAST_EXCHANGE, 18).day(when))

    if KEPT[when]:
        only(counts)
        assert rows(engine, contact_message) == messages
        return
    only(counts, contact_messages=1)
    assert rows(engine, contact_message) == messages[1:]

"""A living past for the demo: what the DPO would find after a few months of running gardien.

The records of the demo arrive by import and through the LRS (``loading.py``); then this
module plays the last three months through the same use cases the site and the console call,
each on the day it happened: people file requests by following the link of their verification
e-mail, the DPO answers, extends or refuses them, the daily purge ran once (a month ago, so
the console shows it late), a newsletter campaign went out, the DPO answered two contact
messages, and last night the audit chain was checked. The consoles then show requests in every
state (open, overdue, extended, completed, refused), a past purge, answered and unanswered
messages and sent e-mails on first sight.

The audit log receives these entries after the import's, each with the instant it happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, select

from gardien.domain.vocabulary import FundingType
from gardien.errors import InvalidInputError
from gardien.services.accounts.context import AccountServices
from gardien.services.audit import record_verification
from gardien.services.audit import report as audit_report
from gardien.services.console import carry_out_erasure, carry_out_objection, complete, extend
from gardien.services.console import refuse as refuse_request
from gardien.services.purges import Purge, purge
from gardien.services.requests import file_verified, verification_token
from gardien.services.sweep import SweepReport
from gardien.services.website.campaign import parse_campaign
from gardien.services.website.contact_replies import mark_answered, send_reply
from gardien.services.website.newsletter import Site, queue_campaign
from gardien.store.tables import (
    account,
    contact_message,
    contract,
    contract_learner,
    learner,
    newsletter_subscription,
    subject_request,
)
from gardien.store.uow import UnitOfWork

# How many requests come from people who are not learners, and from learners (the OPCO
# trainee who asks for erasure apart).
VISITORS = 4
LEARNERS = 3
# The DPO of the demo, as the console names an actor (services/console.py dpo_actor).
DPO_ACTOR = "dpo:demo"
CAMPAIGN = """Subject: Nouveautés de la rentrée
Language: fr

Bonjour,

Trois nouveaux parcours de français professionnel ouvrent en septembre.
"""

# Services as they were on a past day: the same configuration, a clock stopped on that day.
ServicesOn = Callable[[datetime], AccountServices]
SiteOn = Callable[[datetime], Site]


@dataclass
class Past:
    """What the played past left: the references of the requests by state, the purge."""

    requests: dict[str, list[str]] = field(default_factory=dict)
    purge: SweepReport | None = None
    campaign_queued: int = 0
    replied: int = 0

    def summary(self) -> str:
        """One line for the command's output."""
        if not self.requests:
            return "past: already played on this database, left as it is"
        states = ", ".join(f"{len(refs)} {state}" for state, refs in self.requests.items())
        purged = sum(rule.expired for rule in self.purge.rules) if self.purge else 0
        return (
            f"past: requests {states}; one purge run ({purged} records); "
            f"one campaign ({self.campaign_queued} e-mails queued); "
            f"{self.replied} contact messages answered; the audit chain checked last night"
        )


def _at(today: date, days_ago: int, hour: int = 10) -> datetime:
    """``hour`` o'clock (UTC) ``days_ago`` days before ``today``."""
    return datetime.combine(today - timedelta(days=days_ago), time(hour), tzinfo=UTC)


def play_past(
    engine: Engine,
    *,
    today: date,
    services_on: ServicesOn,
    site_on: SiteOn,
    portal_url: str,
) -> Past:
    """Play the demo's last three months, oldest first, as of ``today``.

    ``portal_url`` is where the learners' portal is (the purge's inactivity warnings link it).

    A past is played once: on a database that holds requests already (the demo loaded again
    on top of itself), nothing is played and the result is empty.
    """
    past = Past()
    with engine.connect() as connection:
        if connection.execute(select(subject_request.c.id).limit(1)).first() is not None:
            return past
    people = _people(engine)

    def file(days_ago: int, email: str, kind: str, message: str = "") -> str:
        services = services_on(_at(today, days_ago))
        token = verification_token(services, email=email, kind=kind)
        view, _follow = file_verified(
            UnitOfWork(engine, write=True),
            services,
            token=token,
            email=email,
            details=message,
            lang="fr",
        )
        return view.reference

    def uow() -> UnitOfWork:
        return UnitOfWork(engine, write=True)

    def keep(state: str, reference: str) -> None:
        past.requests.setdefault(state, []).append(reference)

    # Three months ago: an access request, answered two weeks later.
    access = file(95, people.visitors[0], "access")
    complete(
        uow(),
        services_on(_at(today, 81)),
        reference=access,
        note="Copie des données envoyée par courriel le jour même.",
        actor=DPO_ACTOR,
    )
    keep("completed", access)
    # An objection by e-mail link, carried out the same week.
    objection = file(75, people.visitors[1], "objection")
    carry_out_objection(uow(), services_on(_at(today, 73)), reference=objection, actor=DPO_ACTOR)
    keep("completed", objection)
    # A former OPCO trainee asks for erasure: the law keeps the OPCO dossier.
    erasure = file(60, people.opco_learner, "erasure", "Je ne suis plus de formation.")
    carry_out_erasure(uow(), services_on(_at(today, 55)), reference=erasure, actor=DPO_ACTOR)
    keep("completed", erasure)
    # A portability request about data the organisation does not hold: refused, with why.
    refused = file(50, people.visitors[2], "portability")
    refuse_request(
        uow(),
        services_on(_at(today, 48)),
        reference=refused,
        reason="Nous ne détenons aucune donnée fournie par vous sous cette adresse.",
        actor=DPO_ACTOR,
    )
    keep("refused", refused)
    # An access request from a learner with a long history: extended within its first month.
    extended = file(45, people.learners[0], "access", "Toutes mes traces de formation.")
    extend(
        uow(),
        services_on(_at(today, 40)),
        reference=extended,
        reason="Votre historique couvre plusieurs années de formation : il nous faut plus "
        "de temps pour le rassembler.",
        actor=DPO_ACTOR,
    )
    keep("extended", extended)
    # A rectification nobody answered: past its due day.
    keep("overdue", file(40, people.learners[1], "rectification", "Mon nom s'écrit Lefèvre."))
    # A month ago, the daily purge ran, as `gardien sweep` runs it (it has not run since: the
    # console says it is late).
    purger = services_on(_at(today, 30, hour=2))
    past.purge = purge(
        Purge(
            engine=engine,
            policy=purger.policy,
            clock=purger.clock,
            lookup=purger.lookup,
            portal_url=portal_url,
            blobs=purger.blobs,
        )
    ).sweep
    # Contact messages: the DPO replied to one from the console, and marked another answered
    # (by telephone); the others wait.
    with engine.connect() as connection:
        messages = list(
            connection.execute(
                select(contact_message.c.id).order_by(contact_message.c.last_exchange_at.desc())
            ).scalars()
        )
    if messages:
        send_reply(
            uow(),
            site_on(_at(today, 20)),
            messages[0],
            text="Bonjour,\n\nMerci de votre message : nos parcours reprennent en septembre.",
            actor=DPO_ACTOR,
        )
        past.replied += 1
    if len(messages) > 1:
        mark_answered(uow(), messages[1], actor=DPO_ACTOR, now=_at(today, 10))
        past.replied += 1
    # Two weeks ago, a newsletter campaign went out to every confirmed subscriber.
    past.campaign_queued, _subscribers = queue_campaign(
        uow(), site_on(_at(today, 14)), parse_campaign(CAMPAIGN, name="rentree")
    )
    # This week: two requests waiting for an answer, on time.
    keep("open", file(3, people.visitors[3], "access"))
    keep("open", file(1, people.learners[2], "objection"))
    # Last night, the audit log's chain was checked and the check recorded.
    record_verification(
        UnitOfWork(engine, write=True),
        audit_report(UnitOfWork(engine)),
        clock=services_on(_at(today, 0, hour=0)).clock,
    )
    return past


@dataclass(frozen=True)
class _People:
    visitors: list[str]
    learners: list[str]
    opco_learner: str


def _people(engine: Engine) -> _People:
    """Who files the requests: newsletter subscribers who are not learners, learners without
    an account (the demo's accounts come later), and an OPCO-funded learner. A small demo
    lends learners to the visitors' part when it has too few of them."""
    with engine.connect() as connection:
        learners = set(connection.execute(select(learner.c.email)).scalars())
        with_account = set(connection.execute(select(account.c.email)).scalars())
        subscribers = connection.execute(
            select(newsletter_subscription.c.email).order_by(newsletter_subscription.c.id)
        ).scalars()
        visitors = [email for email in subscribers if email not in learners]
        ordered = connection.execute(
            select(learner.c.email, contract.c.funding_type)
            .join(contract_learner, contract_learner.c.learner_id == learner.c.id)
            .join(contract, contract.c.id == contract_learner.c.contract_id)
            .order_by(learner.c.id)
        ).all()
    opco = next((row.email for row in ordered if row.funding_type == FundingType.OPCO.value), None)
    if opco is None:
        raise InvalidInputError("the demo has no OPCO-funded learner to play the past with")
    free = [
        email
        for email in dict.fromkeys(row.email for row in ordered)
        if email not in with_account and email != opco
    ]
    pool = [*visitors[:VISITORS], *free]
    if len(pool) < VISITORS + LEARNERS:
        raise InvalidInputError("the demo is too small to play its past: load more learners")
    return _People(
        visitors=pool[:VISITORS], learners=pool[VISITORS : VISITORS + LEARNERS], opco_learner=opco
    )

"""Demo data: a fictional education publisher, as an import document.

``build_demo_document`` makes the document; the import service loads it, so the demo goes
through the same checks as any real file. Everything is derived from ``random.Random(seed)``
and ``today``: the same arguments give the same document, byte for byte.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date

from gardien.domain.vocabulary import FundingType
from gardien.services.demo import website
from gardien.services.demo.catalogue import PATHS
from gardien.services.demo.learning import module_iri
from gardien.services.demo.organisation import Organisation, Plan
from gardien.services.demo.people import Registry
from gardien.services.demo.timeline import STAGE_WEIGHTS, Stage
from gardien.services.importing.document import ImportDocument, LearningPathIn, ModuleIn

__all__ = ["FIRST_PLANS", "MIN_COMPLETE", "build_demo_document"]

F = FundingType
# The first contracts put at least one learner on every funding type and every stage of every
# clock; whatever follows is drawn at random. Sizes are learners per contract.
FIRST_PLANS: tuple[Plan, ...] = (
    Plan(F.ONLINE_PAYMENT, Stage.ACTIVE, 1),
    Plan(F.CPF, Stage.ACTIVE, 1),
    Plan(F.OPCO, Stage.ACTIVE, 2),
    Plan(F.EMPLOYER_PLAN, Stage.ACTIVE, 2),
    Plan(F.SCHOOL_PLAN, Stage.ACTIVE, 3),
    Plan(F.ONLINE_PAYMENT, Stage.EXPIRING, 1),
    Plan(F.CPF, Stage.EXPIRED, 1),
    Plan(F.EMPLOYER_PLAN, Stage.DORMANT, 2),
    Plan(F.ONLINE_PAYMENT, Stage.LONG_GONE, 1),
    Plan(F.EMPLOYER_PLAN, Stage.SPONSOR_EXPIRING, 1),
    Plan(F.SCHOOL_PLAN, Stage.SPONSOR_EXPIRED, 1),
    Plan(F.OPCO, Stage.OPCO_EXPIRING, 1),
    Plan(F.OPCO, Stage.OPCO_EXPIRED, 1),
    Plan(F.EMPLOYER_PLAN, Stage.INVOICE_EXPIRING, 1),
    Plan(F.SCHOOL_PLAN, Stage.INVOICE_EXPIRED, 1),
)
# Below this many learners some stages or funding types are missing from the demo.
MIN_COMPLETE = sum(plan.size for plan in FIRST_PLANS)

# Weights of funding types for contracts drawn at random, and which stages allow which.
_FUNDING_WEIGHTS = {
    F.ONLINE_PAYMENT: 30,
    F.CPF: 20,
    F.OPCO: 12,
    F.EMPLOYER_PLAN: 14,
    F.SCHOOL_PLAN: 6,
}
_ORGANISATIONS = (F.OPCO, F.EMPLOYER_PLAN, F.SCHOOL_PLAN)
_ALLOWED: dict[Stage, tuple[FundingType, ...]] = {
    Stage.SPONSOR_EXPIRING: _ORGANISATIONS,
    Stage.SPONSOR_EXPIRED: _ORGANISATIONS,
    Stage.OPCO_EXPIRING: (F.OPCO,),
    Stage.OPCO_EXPIRED: (F.OPCO,),
    # Funded training is invoiced at its end, so the contract end pins the invoice date.
    Stage.INVOICE_EXPIRING: (*_ORGANISATIONS, F.CPF),
    Stage.INVOICE_EXPIRED: (*_ORGANISATIONS, F.CPF),
}
_SIZES = {
    F.ONLINE_PAYMENT: (1, 1),
    F.CPF: (1, 1),
    F.OPCO: (1, 3),
    F.EMPLOYER_PLAN: (2, 6),
    F.SCHOOL_PLAN: (4, 12),
}


def build_demo_document(*, learners: int, seed: int, today: date) -> ImportDocument:
    """A fictional organisation with ``learners`` learners, as of ``today``.

    Every funding type has contracts, learners and sponsors sit at every stage of their
    retention clocks relative to ``today`` (active, about to expire, just expired, long gone),
    and so do invoices (120 months), OPCO dossiers (72 months after training), sponsors (18
    months after their last contract), newsletter subscriptions and contact messages. Other
    records grow in proportion to ``learners``; from :data:`MIN_COMPLETE` learners up, every
    case is present. People are fictional, addresses on example.org and example.com only.
    """
    if learners < 1:
        raise ValueError("a demo needs at least one learner")
    rng = random.Random(seed)
    people = Registry(rng)
    organisation = Organisation(
        rng=rng, today=today, people=people, clients_target=max(2, learners // 40)
    )
    remaining = learners
    for plan in _plans(rng):
        size = min(plan.size, remaining)
        organisation.add_contract(Plan(plan.funding, plan.stage, size))
        remaining -= size
        if remaining == 0:
            break

    someone = organisation.learner_people
    return ImportDocument(
        learning_paths=[
            LearningPathIn(
                code=path.code,
                title=path.title,
                modules=[
                    ModuleIn(code=code, title=title, activity_id=module_iri(path.code, code))
                    for code, title in path.modules
                ],
            )
            for path in PATHS
        ],
        learners=organisation.learners,
        sponsors=organisation.sponsors,
        contracts=organisation.contracts,
        enrolments=organisation.enrolments,
        statements=organisation.statements,
        invoices=organisation.invoices,
        cpf_dossiers=organisation.cpf_dossiers,
        opco_dossiers=organisation.opco_dossiers,
        newsletter_subscriptions=website.subscriptions(
            rng, people, someone, count=max(3, learners * 3 // 10), today=today
        ),
        contact_messages=website.contact_messages(
            rng, people, someone, count=max(4, learners // 10), today=today
        ),
    )


def _plans(rng: random.Random) -> Iterator[Plan]:
    """The fixed first plans, then random ones for ever (the caller stops on its count)."""
    yield from FIRST_PLANS
    stages = list(STAGE_WEIGHTS)
    stage_weights = list(STAGE_WEIGHTS.values())
    while True:
        stage = rng.choices(stages, stage_weights)[0]
        allowed = _ALLOWED.get(stage, tuple(_FUNDING_WEIGHTS))
        funding = rng.choices(allowed, [_FUNDING_WEIGHTS[f] for f in allowed])[0]
        low, high = _SIZES[funding]
        yield Plan(funding, stage, rng.randint(low, high))

"""The people and records of the sweep scenarios, with the dates their retention clocks count
from: loaded by the scenarios of each record kind, and by the worked examples that check their
boundary days by hand.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from tests.support.accounts import give_account
from tests.support.retention_samples import (
    contract_doc,
    cpf_doc,
    document,
    enrolment_doc,
    invoice_doc,
    learner_doc,
    load,
    message_doc,
    opco_doc,
    statements,
    subscription_doc,
    warn,
)

# -- a learner inactive for 18 months -----------------------------------------------------------

LEA = "lea.dormante@example.org"
LEA_ACTIVE = "2024-08-31T18:00:00Z"
NOE = "noe.assidu@example.org"
NOE_ACTIVE = "2026-02-20T09:00:00Z"
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$ZmljdGlvbmFs$aGFzaC1vZi1sZWE"


def load_lea(engine: Engine) -> None:
    """Léa (last active 31 Aug 2024, CPF-funded, her last contract ended 30 June 2024) and Noé,
    active, who must come through every sweep untouched."""
    load(
        engine,
        document(
            learners=[
                learner_doc(LEA, "Léa", "Dormante", LEA_ACTIVE),
                learner_doc(NOE, "Noé", "Assidu", NOE_ACTIVE),
            ],
            contracts=[
                contract_doc("CT-101", "cpf", "2024-06-30", learners=[LEA]),
                contract_doc("CT-102", "cpf", "2026-06-30", learners=[NOE]),
            ],
            enrolments=[
                enrolment_doc(LEA, "CT-101", updated=LEA_ACTIVE),
                enrolment_doc(NOE, "CT-102", updated=NOE_ACTIVE),
            ],
            statements=statements(LEA, 3, last=LEA_ACTIVE) + statements(NOE, 2, last=NOE_ACTIVE),
            cpf_dossiers=[cpf_doc("EDOF-101", "CT-101", LEA), cpf_doc("EDOF-102", "CT-102", NOE)],
            # Her own clock would keep this message to 2 April 2026: it goes with her.
            contact_messages=[
                message_doc(
                    "Léa Dormante",
                    LEA,
                    received="2024-10-01T09:00:00Z",
                    last_exchange="2024-10-02T09:00:00Z",
                )
            ],
        ),
    )
    with engine.begin() as connection:
        give_account(connection, LEA, PASSWORD_HASH)
    # The inactivity warning the sweep queued for her 30 days before expiry (the outbox rule
    # would keep it three months): it goes with her.
    warn(engine, date(2026, 1, 30))


# -- a learner with an invoice ------------------------------------------------------------------

INES = "ines.facturee@example.org"
INES_ACTIVE = "2024-02-29T10:00:00Z"
INVOICE_ISSUED = "2024-02-29"
# The invoice's clock: the close of its financial year (the default policy's ends 31 December).
INVOICE_YEAR_CLOSE = "2024-12-31"


def load_ines(engine: Engine) -> None:
    """Inès paid her course online; the invoice carries her name, address and e-mail."""
    load(
        engine,
        document(
            learners=[learner_doc(INES, "Inès", "Facturée", INES_ACTIVE)],
            contracts=[contract_doc("CT-103", "online_payment", "2024-02-29", learners=[INES])],
            enrolments=[enrolment_doc(INES, "CT-103", updated=INES_ACTIVE)],
            statements=statements(INES, 2, last=INES_ACTIVE),
            invoices=[
                invoice_doc(
                    "FA-2024-0229",
                    INVOICE_ISSUED,
                    name="Inès Facturée",
                    email=INES,
                    contract_ref="CT-103",
                )
            ],
        ),
    )


# -- an OPCO-funded learner ---------------------------------------------------------------------

OSCAR = "oscar.finance@example.org"
OSCAR_ACTIVE = "2024-09-15T09:00:00Z"
TRAINING_END = "2024-02-29"


def load_oscar(engine: Engine) -> None:
    """Oscar's employer had his training funded by an OPCO; it ended on 29 February 2024."""
    load(
        engine,
        document(
            learners=[learner_doc(OSCAR, "Oscar", "Financé", OSCAR_ACTIVE)],
            sponsors=[
                {
                    "ref": "ORG-OPCO",
                    "kind": "organisation",
                    "name": "Menuiserie Fictive SAS",
                    "email": "rh@menuiserie-fictive.example.com",
                }
            ],
            contracts=[
                contract_doc(
                    "CT-104",
                    "opco",
                    TRAINING_END,
                    learners=[OSCAR],
                    sponsor="ORG-OPCO",
                    starts_on="2023-10-02",
                )
            ],
            enrolments=[enrolment_doc(OSCAR, "CT-104", updated=OSCAR_ACTIVE)],
            statements=statements(OSCAR, 2, last=OSCAR_ACTIVE),
            opco_dossiers=[
                opco_doc(
                    "AC-104", "CT-104", OSCAR, "Oscar Financé", start="2023-10-02", end=TRAINING_END
                )
            ],
        ),
    )


# -- a CPF learner ------------------------------------------------------------------------------

CELIA = "celia.compte@example.org"
CELIA_ACTIVE = "2025-01-31T16:00:00Z"


def load_celia(engine: Engine) -> None:
    load(
        engine,
        document(
            learners=[learner_doc(CELIA, "Célia", "Compte", CELIA_ACTIVE)],
            contracts=[contract_doc("CT-105", "cpf", "2024-12-20", learners=[CELIA])],
            enrolments=[enrolment_doc(CELIA, "CT-105", updated=CELIA_ACTIVE)],
            statements=statements(CELIA, 2, last=CELIA_ACTIVE),
            cpf_dossiers=[cpf_doc("EDOF-105", "CT-105", CELIA)],
        ),
    )


# -- an online-payment learner ------------------------------------------------------------------

PAUL = "paul.enligne@example.org"
# 00:30 in Paris on 1 December is still 30 November in UTC, the day the clock counts.
PAUL_ACTIVE = "2024-12-01T00:30:00+01:00"


def load_paul(engine: Engine) -> None:
    load(
        engine,
        document(
            learners=[learner_doc(PAUL, "Paul", "Enligne", PAUL_ACTIVE)],
            contracts=[contract_doc("CT-106", "online_payment", "2024-10-31", learners=[PAUL])],
            enrolments=[enrolment_doc(PAUL, "CT-106", updated=PAUL_ACTIVE)],
            statements=statements(PAUL, 2, last=PAUL_ACTIVE),
        ),
    )
    warn(engine, date(2026, 5, 1))  # 30 days before his data expires


# -- a sponsor's contact ------------------------------------------------------------------------

DOMINIQUE = "dominique.contact@scierie-fictive.example.com"
SCIERIE = "contact@scierie-fictive.example.com"
LAST_CONTRACT_END = "2024-08-31"


NEUF_CREATED = "2024-10-10T12:00:00Z"


def load_scierie(engine: Engine) -> None:
    """An organisation whose last contract ended on 31 August 2024 (an earlier one in 2023)."""
    load(
        engine,
        document(
            sponsors=[
                {
                    "ref": "ORG-SCIERIE",
                    "kind": "organisation",
                    "name": "Scierie Fictive SARL",
                    "email": SCIERIE,
                    "address": "2 chemin du Bois\n88000 Épinal",
                    "contacts": [
                        {"name": "Dominique Contact", "email": DOMINIQUE, "role": "RH"},
                    ],
                }
            ],
            contracts=[
                contract_doc("CT-S-1", "employer_plan", "2023-05-31", sponsor="ORG-SCIERIE"),
                contract_doc("CT-S-2", "employer_plan", LAST_CONTRACT_END, sponsor="ORG-SCIERIE"),
            ],
        ),
    )


# -- an individual sponsor ----------------------------------------------------------------------

CLAUDE = "claude.parent@example.org"
SACHA = "sacha.eleve@example.org"


def load_claude(engine: Engine) -> None:
    """Claude paid for Sacha's course (ended 31 Aug 2024); a school's contract ended that day
    too. Sacha is still active."""
    load(
        engine,
        document(
            learners=[learner_doc(SACHA, "Sacha", "Élève", "2026-02-20T09:00:00Z")],
            sponsors=[
                {
                    "ref": "PART-1",
                    "kind": "individual",
                    "name": "Claude Parent",
                    "email": CLAUDE,
                    "address": "8 allée des Cerisiers\n44000 Nantes",
                },
                {
                    "ref": "ORG-ECOLE",
                    "kind": "organisation",
                    "name": "École Fictive",
                    "email": "secretariat@ecole-fictive.example.org",
                    "address": "1 place de l'École\n44000 Nantes",
                },
            ],
            contracts=[
                contract_doc(
                    "CT-107",
                    "online_payment",
                    LAST_CONTRACT_END,
                    learners=[SACHA],
                    sponsor="PART-1",
                ),
                contract_doc("CT-ECOLE", "school_plan", LAST_CONTRACT_END, sponsor="ORG-ECOLE"),
            ],
        ),
    )


# -- the commercial contact of a former learner -------------------------------------------------

LOU = "lou.ancienne@example.org"
LOU_ACTIVE = "2024-03-15T10:00:00Z"


def load_lou(engine: Engine) -> None:
    """Lou's account expires on 16 Sep 2025, while her last contract (ended 31 Aug 2024) still
    runs its commercial period, to 28 Feb 2026."""
    load(
        engine,
        document(
            learners=[learner_doc(LOU, "Lou", "Ancienne", LOU_ACTIVE)],
            contracts=[
                contract_doc("CT-108", "employer_plan", "2023-12-31", learners=[LOU]),
                contract_doc("CT-109", "school_plan", LAST_CONTRACT_END, learners=[LOU]),
            ],
            enrolments=[enrolment_doc(LOU, "CT-109", updated=LOU_ACTIVE)],
            statements=statements(LOU, 2, last=LOU_ACTIVE),
        ),
    )


# -- newsletter subscribers ---------------------------------------------------------------------

READER = "lecteur.fidele@example.net"
LEAVER = "noe.parti@example.net"
# 00:30 in Paris on 21 May is 22:30 UTC on 20 May: the day the clock counts.
UNSUBSCRIBED = "2026-05-21T00:30:00+02:00"


def load_subscribers(engine: Engine) -> None:
    load(
        engine,
        document(
            newsletter_subscriptions=[
                subscription_doc(READER, None),
                subscription_doc(LEAVER, UNSUBSCRIBED),
            ]
        ),
    )


# -- contact messages ---------------------------------------------------------------------------

CURIOUS = "claude.curieux@example.net"
LAST_EXCHANGE = "2024-08-31T18:00:00Z"


def load_messages(engine: Engine) -> None:
    """Two exchanges of the same person: each message lives by its own last exchange."""
    load(
        engine,
        document(
            contact_messages=[
                message_doc(
                    "Claude Curieux",
                    CURIOUS,
                    received="2024-08-30T09:00:00Z",
                    last_exchange=LAST_EXCHANGE,
                ),
                message_doc(
                    "Claude Curieux",
                    CURIOUS,
                    received="2025-06-01T09:00:00Z",
                    last_exchange="2025-06-02T09:00:00Z",
                ),
            ]
        ),
    )

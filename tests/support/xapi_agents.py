"""Strangers and every place an agent can stand in an xAPI statement, for the tests that no
address, name or unkeyed digest of anyone is stored (fictional people, reserved domains)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from tests.support.retention_samples import identifiers_found
from tests.support.xapi_samples import MODULES, PEOPLE, VERBS


def sha1(address: str) -> str:
    return hashlib.sha1(f"mailto:{address}".encode()).hexdigest()


ZOE = "zoe.inconnue@example.com"
YAN = "yan.inconnu@example.com"
# One stranger per kind of identifier, each with a name, as content sends them.
STRANGERS: dict[str, dict[str, Any]] = {
    "mbox": {"objectType": "Agent", "name": "Zoé Inconnue", "mbox": f"mailto:{ZOE}"},
    "mbox_sha1sum": {"name": "Yan Inconnu", "mbox_sha1sum": sha1(YAN)},
    "openid": {"name": "Olga Inconnue", "openid": "https://openid.example.org/olga-inconnue"},
    "account": {
        "name": "Pia Inconnue",
        "account": {"homePage": "https://lms.example.com", "name": "pia.inconnue"},
    },
}
# What must be found nowhere: every stranger's identifier and name, the learners' too.
NEEDLES = [
    ZOE,
    "zoé inconnue",
    sha1(ZOE),
    YAN,
    "yan inconnu",
    sha1(YAN),
    "olga-inconnue",
    "olga inconnue",
    "pia.inconnue",
    "pia inconnue",
    "équipe inconnue",
    "equipe.inconnue",
    *(address for address, _, _ in PEOPLE.values()),
    *(sha1(address) for address, _, _ in PEOPLE.values()),
    *(f"{given} {family}" for _, given, family in PEOPLE.values()),
]
ACTIVITY = {"objectType": "Activity", "id": MODULES["M1"]}
ATTENDED = {"id": f"{VERBS}attended"}


def _sub(**parts: Any) -> dict[str, Any]:
    return {"objectType": "SubStatement", "actor": STRANGERS["openid"], "verb": ATTENDED,
            "object": ACTIVITY, **parts}  # fmt: skip


# Each place an agent can stand: the properties that put ``agent`` there.
PLACES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "actor": lambda a: {"actor": a},
    "actor, identified group": lambda a: {
        "actor": {
            "objectType": "Group",
            "name": "Équipe Inconnue",
            "mbox": "mailto:equipe.inconnue@example.org",
            "member": [a],
        }
    },
    "actor, anonymous group": lambda a: {
        "actor": {"objectType": "Group", "name": "Équipe Inconnue", "member": [a]}
    },
    "object, agent": lambda a: {"object": {**a, "objectType": "Agent"}},
    "object, group": lambda a: {
        "object": {"objectType": "Group", "name": "Équipe Inconnue", "member": [a]}
    },
    "sub-statement actor": lambda a: {"object": _sub(actor=a)},
    "sub-statement object": lambda a: {"object": _sub(object={**a, "objectType": "Agent"})},
    "sub-statement instructor": lambda a: {"object": _sub(context={"instructor": a})},
    "sub-statement team": lambda a: {
        "object": _sub(context={"team": {"objectType": "Group", "member": [a]}})
    },
    "context instructor": lambda a: {"context": {"instructor": a}},
    "context team": lambda a: {
        "context": {
            "team": {"objectType": "Group", "name": "Équipe Inconnue", "member": [a]},
        }
    },
    "authority": lambda a: {"authority": a},
}


def named_in_clear(engine: Engine) -> list[Any]:
    """Where an identifier or name of :data:`NEEDLES` is stored, but the learners' own rows
    (where identity lives)."""
    return [hit for hit in identifiers_found(engine, NEEDLES) if hit[0] != "learner"]

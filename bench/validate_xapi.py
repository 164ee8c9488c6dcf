"""Benchmark of xAPI statement validation (``gardien.domain.xapi``), against JSON decoding.

    python bench/validate_xapi.py [--count 100000] [--repeat 3] [--seed 1] [--smoke]

1. Generates ``--count`` varied statements (fixed seed): ten shapes, from the three required
   properties alone to the long example of the specification's appendix A (a group with
   members, result, context, attachments), with random ids, activities, verbs, times in
   random time zones, durations and language tags; encodes each with orjson.
2. Times, over all of them, ``orjson.loads`` of each statement's bytes (the baseline: what the
   web layer pays anyway to read a statement), then ``validate_statement`` on the decoded
   statements, and prints microseconds per statement and the ratio of the two. ``--repeat``
   runs each ``--repeat`` times; the best run is kept (the others paid for the machine's noise).
3. Prints the same per shape, then ``validate_batch`` on batches of 50, then
   ``statements_equivalent`` of each statement with a copy as a store returns it.

It prints figures and asserts nothing (CONVENTIONS 9). ``--smoke``: 2,000 statements, once.
"""

from __future__ import annotations

import argparse
import copy
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson

from _common import figure, parse_args
from gardien.domain.xapi import statements_equivalent, validate_batch, validate_statement

Statement = dict[str, Any]
HOME = "https://lms.example.org"
ROOT = "https://formation.example.org"
VERBS = [
    f"http://adlnet.gov/expapi/verbs/{name}"
    for name in ("launched", "attempted", "completed", "passed", "failed", "answered", "attended")
]
TAGS = ["fr", "fr-FR", "en", "en-US", "en-GB", "de-DE", "es-419"]
TYPES = [
    "http://adlnet.gov/expapi/activities/course",
    "http://adlnet.gov/expapi/activities/module",
    "http://adlnet.gov/expapi/activities/assessment",
    "http://adlnet.gov/expapi/activities/cmi.interaction",
]
INTERACTIONS = {
    "choice": "choices",
    "sequencing": "choices",
    "likert": "scale",
    "performance": "steps",
    "true-false": None,
    "fill-in": None,
    "numeric": None,
}


class Maker:
    """Random parts of statements, from one seeded stream."""

    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.start = datetime(2024, 1, 1, tzinfo=UTC)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rnd.getrandbits(128), version=4))

    def timestamp(self) -> str:
        instant = self.start + timedelta(seconds=self.rnd.randrange(365 * 86_400))
        instant += timedelta(microseconds=self.rnd.randrange(1000) * 1000)
        zone = timezone(timedelta(minutes=self.rnd.choice([0, 0, 60, 120, -300, 330])))
        text = instant.astimezone(zone).isoformat(timespec="milliseconds")
        return text.replace("+00:00", "Z") if self.rnd.random() < 0.5 else text

    def duration(self) -> str:
        return self.rnd.choice(
            [
                f"PT{self.rnd.randrange(1, 4000)}S",
                f"PT{self.rnd.randrange(0, 3)}H{self.rnd.randrange(60)}M",
                f"PT{self.rnd.randrange(60)}M{self.rnd.randrange(60)}.{self.rnd.randrange(100)}S",
                f"P{self.rnd.randrange(1, 30)}DT{self.rnd.randrange(24)}H",
            ]
        )

    def words(self, count: int) -> str:
        return " ".join(
            self.rnd.choice(["module", "sécurité", "quiz", "étape", "Lyon"]) for _ in range(count)
        )

    def language_map(self) -> dict[str, str]:
        return {tag: self.words(3) for tag in self.rnd.sample(TAGS, self.rnd.randrange(1, 3))}

    def agent(self) -> dict[str, Any]:
        person = self.rnd.randrange(50_000)
        kind = self.rnd.randrange(3)
        if kind == 0:
            return {"mbox": f"mailto:learner{person}@example.org"}
        if kind == 1:
            return {"objectType": "Agent", "account": {"homePage": HOME, "name": f"p{person}"}}
        return {"name": f"Apprenant {person}", "mbox_sha1sum": f"{self.rnd.getrandbits(160):040x}"}

    def activity_id(self) -> str:
        return f"{ROOT}/courses/{self.rnd.randrange(40)}/modules/{self.rnd.randrange(12)}"

    def activity(self, *, definition: bool) -> dict[str, Any]:
        activity: dict[str, Any] = {"id": self.activity_id()}
        if self.rnd.random() < 0.5:
            activity["objectType"] = "Activity"
        if definition:
            activity["definition"] = {
                "name": self.language_map(),
                "description": self.language_map(),
                "type": self.rnd.choice(TYPES),
            }
        return activity

    def verb(self) -> dict[str, Any]:
        return {"id": self.rnd.choice(VERBS), "display": self.language_map()}

    def base(self) -> Statement:
        return {
            "id": self.uuid(),
            "actor": self.agent(),
            "verb": self.verb(),
            "object": self.activity(definition=self.rnd.random() < 0.5),
            "timestamp": self.timestamp(),
        }

    def result(self) -> dict[str, Any]:
        top = self.rnd.choice([10, 20, 100])
        raw = self.rnd.randrange(top + 1)
        return {
            "score": {"scaled": raw / top, "raw": raw, "min": 0, "max": top},
            "success": raw * 2 >= top,
            "completion": True,
            "duration": self.duration(),
        }

    def context(self) -> dict[str, Any]:
        return {
            "registration": self.uuid(),
            "contextActivities": {
                "parent": [self.activity(definition=False)],
                "grouping": [{"id": f"{ROOT}/courses/{self.rnd.randrange(40)}"}],
                "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}],
            },
            "platform": "Plateforme",
            "language": self.rnd.choice(TAGS),
            "extensions": {f"{ROOT}/xapi/session": self.rnd.randrange(1000)},
        }


def minimal(m: Maker) -> Statement:
    return {
        "actor": m.agent(),
        "verb": {"id": m.rnd.choice(VERBS)},
        "object": {"id": m.activity_id()},
    }


def typical(m: Maker) -> Statement:
    return m.base()


def scored(m: Maker) -> Statement:
    return {**m.base(), "result": m.result()}


def in_context(m: Maker) -> Statement:
    return {**m.base(), "result": m.result(), "context": m.context()}


def answered(m: Maker) -> Statement:
    statement = m.base()
    kind = m.rnd.choice(list(INTERACTIONS))
    definition: dict[str, Any] = {
        "description": m.language_map(),
        "type": TYPES[3],
        "interactionType": kind,
        "correctResponsesPattern": ["a[,]b"],
    }
    if INTERACTIONS[kind]:
        definition[INTERACTIONS[kind]] = [
            {"id": name, "description": m.language_map()} for name in ("a", "b", "c", "d")
        ]
    statement["object"] = {"id": m.activity_id() + "/q1", "definition": definition}
    statement["result"] = {"response": "a[,]b", "success": True}
    return statement


def group(m: Maker) -> Statement:
    statement = in_context(m)
    statement["actor"] = {
        "objectType": "Group",
        "name": "Équipe",
        "member": [m.agent() for _ in range(m.rnd.randrange(2, 6))],
    }
    return statement


def voiding(m: Maker) -> Statement:
    return {
        "actor": m.agent(),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": m.uuid()},
    }


def planned(m: Maker) -> Statement:
    statement = m.base()
    statement["object"] = {"objectType": "SubStatement", **minimal(m), "timestamp": m.timestamp()}
    return statement


def attached(m: Maker) -> Statement:
    statement = scored(m)
    statement["attachments"] = [
        {
            "usageType": f"{ROOT}/attachments/certificate",
            "display": m.language_map(),
            "contentType": "application/pdf",
            "length": m.rnd.randrange(1, 10**6),
            "sha2": f"{m.rnd.getrandbits(256):064x}",
        }
    ]
    return statement


def appendix_a(m: Maker) -> Statement:
    statement = group(m)
    statement["object"] = m.activity(definition=True)
    statement["object"]["definition"]["moreInfo"] = f"{ROOT}/info"
    statement["context"]["instructor"] = m.agent()
    statement["context"]["statement"] = {"objectType": "StatementRef", "id": m.uuid()}
    statement["result"]["response"] = "Nous avons convenu d'actions."
    statement["result"]["extensions"] = {f"{ROOT}/xapi/minutes": "X:\\réunions\\1.one"}
    statement["stored"] = m.timestamp()
    statement["authority"] = {"account": {"homePage": HOME, "name": "client"}}
    statement["version"] = "1.0.0"
    return statement


SHAPES: dict[str, Callable[[Maker], Statement]] = {
    "minimal": minimal,
    "typical": typical,
    "scored": scored,
    "in context": in_context,
    "interaction": answered,
    "group actor": group,
    "voiding": voiding,
    "SubStatement": planned,
    "attachment": attached,
    "appendix A": appendix_a,
}


def best_of(repeat: int, run: Callable[[], object]) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return min(timings)


def as_stored(statement: Statement) -> Statement:
    stored = copy.deepcopy(statement)
    stored["stored"] = "2025-01-01T00:00:00.000Z"
    stored["authority"] = {"account": {"homePage": HOME, "name": "gardien"}}
    stored.setdefault("version", "1.0.0")
    return stored


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    options = parse_args(parser, argv, smoke={"count": 2_000, "repeat": 1})
    if options.count < len(SHAPES) or options.repeat < 1:
        parser.error(f"--count must be at least {len(SHAPES)} (one per shape), --repeat >= 1")

    maker = Maker(options.seed)
    names = list(SHAPES)
    kinds = [names[i % len(names)] for i in range(options.count)]
    maker.rnd.shuffle(kinds)
    encoded = [orjson.dumps(SHAPES[kind](maker)) for kind in kinds]
    statements = [orjson.loads(data) for data in encoded]
    size = statistics.mean(len(data) for data in encoded)
    print(f"{options.count} statements, {len(SHAPES)} shapes, {size:.0f} bytes on average")

    def decode_all() -> None:
        for data in encoded:
            orjson.loads(data)

    def validate_all() -> None:
        for statement in statements:
            validate_statement(statement)

    validate_all()  # warm: the first statements fill the cache of language tags
    decoding = best_of(options.repeat, decode_all) / options.count * 1e6
    validating = best_of(options.repeat, validate_all) / options.count * 1e6
    print(f"orjson.loads          {decoding:7.2f} µs/statement (baseline)")
    print(f"validate_statement    {validating:7.2f} µs/statement")
    figure("validate_statement", validating, "µs/statement", baseline="orjson.loads", base=decoding)
    print(f"one core, validation alone: {1e6 / validating:,.0f} statements/s")

    print("\nper shape (µs/statement, validate_statement; orjson.loads)")
    for name in names:
        chosen = [s for s, kind in zip(statements, kinds, strict=True) if kind == name]
        raw = [d for d, kind in zip(encoded, kinds, strict=True) if kind == name]

        def validate_shape(chosen: list[Statement] = chosen) -> None:
            for statement in chosen:
                validate_statement(statement)

        def decode_shape(raw: list[bytes] = raw) -> None:
            for data in raw:
                orjson.loads(data)

        shape_validating = best_of(options.repeat, validate_shape) / len(chosen) * 1e6
        shape_decoding = best_of(options.repeat, decode_shape) / len(chosen) * 1e6
        print(f"  {name:14s} {shape_validating:7.2f}  {shape_decoding:6.2f}")

    batches = [statements[i : i + 50] for i in range(0, len(statements), 50)]

    def batch_all() -> None:
        for batch in batches:
            validate_batch(batch)

    batching = best_of(options.repeat, batch_all) / options.count * 1e6
    print(f"\nvalidate_batch (50)   {batching:7.2f} µs/statement")

    sample = statements[: min(10_000, len(statements))]
    stored = [as_stored(statement) for statement in sample]

    def compare_all() -> None:
        for incoming, kept in zip(sample, stored, strict=True):
            statements_equivalent(kept, incoming)

    comparing = best_of(options.repeat, compare_all) / len(sample) * 1e6
    print(f"statements_equivalent {comparing:7.2f} µs/pair (an id sent twice)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One learner's time on one learning path: enrolment, module progress and xAPI statements.

The timeline is consistent by construction: enrolled before any progress, one statement per
module touched, and the last statement exactly at the learner's last activity, since a
statement is an action that comes from the learner.

It also agrees with what gardien's Learning Record Store makes of these statements
(docs/xapi.md, "What a statement moves"): a path is completed when every module is completed or
passed, so a learner who completed their path after failing a module's quiz passed it at a
second attempt. The demo imports the enrolments, then sends the statements to the LRS, and the
statements confirm the imported progress instead of changing it.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from gardien.domain.vocabulary import EnrolmentStatus
from gardien.services.demo.catalogue import ACTIVITY_ROOT, PATHS, VERBS_ROOT, Path
from gardien.services.demo.people import slug
from gardien.services.demo.timeline import between
from gardien.services.importing.document import (
    EnrolmentIn,
    ModuleProgressIn,
    ResultIn,
    StatementIn,
)

# Interned once: hundreds of thousands of statements share these few strings.
_VERB = {
    name: f"{VERBS_ROOT}/{name}"
    for name in ("launched", "attempted", "completed", "passed", "failed")
}
_PATH_IRI = {path.code: f"{ACTIVITY_ROOT}/paths/{slug(path.code)}" for path in PATHS}
_MODULE_IRI = {
    (path.code, code): f"{_PATH_IRI[path.code]}/modules/{slug(code)}"
    for path in PATHS
    for code, _ in path.modules
}


def module_iri(path_code: str, module_code: str) -> str:
    """The xAPI activity IRI of a demo module, as its content reports it."""
    return _MODULE_IRI[path_code, module_code]


_ONGOING = ((EnrolmentStatus.ENROLLED, 10), (EnrolmentStatus.IN_PROGRESS, 70))
_ONGOING_DONE = 20
_ENDED = ((EnrolmentStatus.WITHDRAWN, 15), (EnrolmentStatus.IN_PROGRESS, 20))
_ENDED_DONE = 65


@dataclass
class Outcome:
    """What the dossiers and invoices of a contract need to know about one learner's path."""

    enrolled_at: datetime
    last_activity_at: datetime
    status: EnrolmentStatus
    progress: int
    modules_done: int
    quizzes: int
    enrolment: EnrolmentIn
    statements: list[StatementIn] = field(default_factory=list)


def follow_path(
    rng: random.Random,
    *,
    learner: str,
    path: Path,
    contract: str,
    enrolled_at: datetime,
    last_activity_at: datetime,
    ongoing: bool,
) -> Outcome:
    """Simulate ``learner`` on ``path`` from ``enrolled_at`` to ``last_activity_at``."""
    status = _status(rng, ongoing=ongoing)
    count = len(path.modules)
    if status is EnrolmentStatus.ENROLLED:
        touched = 0
    elif status is EnrolmentStatus.COMPLETED:
        touched = count
    elif status is EnrolmentStatus.IN_PROGRESS:
        touched = rng.randint(1, count - 1)
    else:
        touched = rng.randint(1, max(1, count - 2))

    progress_rows: list[ModuleProgressIn] = []
    statements: list[StatementIn] = []
    first = last_activity_at if touched == 0 else enrolled_at
    statements.append(
        _statement(_new_id(rng), learner, "launched", _PATH_IRI[path.code], first, None)
    )
    span = last_activity_at - enrolled_at
    quizzes = 0
    previous = enrolled_at
    for index, (code, _title) in enumerate(path.modules[:touched]):
        final = index == touched - 1
        when = last_activity_at
        if not final:
            jitter = timedelta(minutes=rng.randint(0, 90))
            step = enrolled_at + span * (index + 1) / touched - jitter
            when = max(enrolled_at, step.replace(microsecond=0))
        module_status, result = _module_result(rng, final=final, status=status)
        quizzes += result is not None and result.score_scaled is not None
        activity = _MODULE_IRI[path.code, code]
        statement_id = _new_id(rng)
        if module_status == "failed" and status is EnrolmentStatus.COMPLETED:
            attempts = _retaken(statement_id, learner, activity, result, since=previous, at=when)
            statements.extend(attempts)
            module_status, result = "passed", attempts[-1].result
            quizzes += 1
        else:
            statements.append(
                _statement(statement_id, learner, module_status, activity, when, result)
            )
        progress_rows.append(
            ModuleProgressIn(
                module=code,
                status=module_status,
                score_scaled=result.score_scaled if result else None,
                updated_at=when,
            )
        )
        previous = max(previous, when)

    done = sum(row.status in ("completed", "passed") for row in progress_rows)
    # The LRS's own arithmetic (store/xapi.py): a completed path has every module done.
    progress = round(100 * done / count)
    enrolment = EnrolmentIn(
        learner=learner,
        path=path.code,
        contract=contract,
        enrolled_at=enrolled_at,
        status=status,
        progress=progress,
        completed_at=last_activity_at if status is EnrolmentStatus.COMPLETED else None,
        modules=progress_rows,
    )
    return Outcome(
        enrolled_at=enrolled_at,
        last_activity_at=last_activity_at,
        status=status,
        progress=progress,
        modules_done=done,
        quizzes=quizzes,
        enrolment=enrolment,
        statements=statements,
    )


def _status(rng: random.Random, *, ongoing: bool) -> EnrolmentStatus:
    choices, done = (_ONGOING, _ONGOING_DONE) if ongoing else (_ENDED, _ENDED_DONE)
    roll = rng.randrange(100)
    if roll < done:
        return EnrolmentStatus.COMPLETED
    roll -= done
    for status, weight in choices:
        if roll < weight:
            return status
        roll -= weight
    return choices[-1][0]


def _module_result(
    rng: random.Random, *, final: bool, status: EnrolmentStatus
) -> tuple[str, ResultIn | None]:
    """A module's state and, when it ends with a quiz, its score."""
    if final and status is not EnrolmentStatus.COMPLETED:
        return "attempted", None
    roll = rng.random()
    if roll < 0.45:
        return "completed", _COMPLETED
    if roll < 0.92 or final:
        return "passed", _scored(True, rng.randint(60, 100))
    return "failed", _scored(False, rng.randint(20, 55))


# Results are frozen and few (scores in hundredths): share them instead of one per statement.
_COMPLETED = ResultIn(completion=True)


@cache
def _scored(success: bool, percent: int) -> ResultIn:
    return ResultIn(success=success, completion=True, score_scaled=percent / 100)


def _retaken(
    failed_id: str,
    learner: str,
    activity: str,
    failed_result: ResultIn | None,
    *,
    since: datetime,
    at: datetime,
) -> tuple[StatementIn, StatementIn]:
    """A quiz failed between ``since`` and ``at``, then passed at ``at``.

    The second attempt is drawn from a generator of its own, seeded by the failed statement's
    id: the demo's generator draws what it drew before retakes existed, so the other records
    of a seed, and the ids of their statements, stay the same.
    """
    own = random.Random(failed_id)
    earliest = max(since, at - timedelta(days=7))
    latest = at - timedelta(minutes=20)
    failed_at = min(earliest, at) if latest <= earliest else between(own, earliest, latest)
    passed = _scored(True, own.randint(60, 100))
    return (
        _statement(failed_id, learner, "failed", activity, failed_at, failed_result),
        _statement(_new_id(own), learner, "passed", activity, at, passed),
    )


def _new_id(rng: random.Random) -> str:
    # Ids come from the seeded generator, never uuid4: same seed, same statements.
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _statement(
    statement_id: str,
    learner: str,
    verb: str,
    activity: str,
    when: datetime,
    result: ResultIn | None,
) -> StatementIn:
    return StatementIn(
        id=statement_id,
        learner=learner,
        verb=_VERB[verb],
        object=activity,
        result=result,
        timestamp=when,
    )

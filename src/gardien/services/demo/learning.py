"""One learner's time on one learning path: enrolment, module progress and xAPI statements.

The timeline is consistent by construction: enrolled before any progress, one statement per
module touched, and the last statement exactly at the learner's last activity, since a
statement is an action that comes from the learner.
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
    statements.append(_statement(rng, learner, "launched", _PATH_IRI[path.code], first, None))
    span = last_activity_at - enrolled_at
    quizzes = 0
    for index, (code, _title) in enumerate(path.modules[:touched]):
        final = index == touched - 1
        when = last_activity_at
        if not final:
            jitter = timedelta(minutes=rng.randint(0, 90))
            step = enrolled_at + span * (index + 1) / touched - jitter
            when = max(enrolled_at, step.replace(microsecond=0))
        module_status, result = _module_result(rng, final=final, status=status)
        quizzes += result is not None and result.score_scaled is not None
        progress_rows.append(
            ModuleProgressIn(
                module=code,
                status=module_status,
                score_scaled=result.score_scaled if result else None,
                updated_at=when,
            )
        )
        statements.append(
            _statement(rng, learner, module_status, _MODULE_IRI[path.code, code], when, result)
        )

    done = sum(row.status in ("completed", "passed") for row in progress_rows)
    progress = 100 if status is EnrolmentStatus.COMPLETED else round(100 * done / count)
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


def _statement(
    rng: random.Random,
    learner: str,
    verb: str,
    activity: str,
    when: datetime,
    result: ResultIn | None,
) -> StatementIn:
    # Ids come from the seeded generator, never uuid4: same seed, same statements.
    statement_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return StatementIn(
        id=statement_id,
        learner=learner,
        verb=_VERB[verb],
        object=activity,
        result=result,
        timestamp=when,
    )

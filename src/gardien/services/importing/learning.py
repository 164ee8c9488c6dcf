"""Import learning paths and their modules, learners, enrolments and module progress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from uuid import uuid4

from gardien.domain.xapi.identifiers import mbox_sha1sum
from gardien.services.importing.context import ImportContext, LearnerRef, require, utc
from gardien.services.importing.document import EnrolmentIn, LearnerIn, LearningPathIn
from gardien.services.importing.keys import record_error
from gardien.services.importing.sync import Key, Spec, Values, upsert
from gardien.store.tables import (
    enrolment,
    learner,
    learning_module,
    learning_path,
    module_progress,
)

PATH = Spec(learning_path, key=("code",), values=("title",))
MODULE = Spec(learning_module, key=("path_id", "code"), values=("title", "position", "activity_id"))
LEARNER = Spec(
    learner,
    key=("email",),
    values=("given_name", "family_name", "created_at", "last_activity_at", "mbox_sha1sum"),
    on_insert=("pseudonym",),
    fetch=("pseudonym",),
)
ENROLMENT = Spec(
    enrolment,
    key=("learner_id", "path_id"),
    values=("contract_id", "enrolled_at", "status", "progress", "completed_at"),
)
PROGRESS = Spec(
    module_progress,
    key=("enrolment_id", "module_id"),
    values=("status", "score_scaled", "updated_at"),
)


def import_paths(ctx: ImportContext, paths: Sequence[LearningPathIn]) -> None:
    """Upsert learning paths by code, then their modules by (path, code) in listed order."""
    if not paths:
        return
    outcome = upsert(ctx.bulk, PATH, {(p.code,): (p.title,) for p in paths})
    ctx.report.add("learning_paths", outcome.counts)
    ctx.paths.update({str(key[0]): id_ for key, id_ in outcome.ids().items()})
    modules: dict[Key, Values] = {}
    for path in paths:
        path_id = ctx.paths[path.code]
        for position, module in enumerate(path.modules, start=1):
            modules[(path_id, module.code)] = (module.title, position, module.activity_id)
    if modules:
        ctx.report.add("learning_modules", upsert(ctx.bulk, MODULE, modules).counts)


def _keep_latest_activity(stored: Values, imported: Values) -> Values:
    # The retention clock runs from the last activity: an older file must not wind it back.
    return (*imported[:3], max(stored[3], imported[3]), imported[4])


def _new_pseudonym() -> Values:
    return (str(uuid4()),)


def import_learners(
    ctx: ImportContext, learners: Sequence[LearnerIn], latest: Mapping[str, datetime]
) -> None:
    """Upsert learners by e-mail; ``latest`` (their newest statements) advances last activity."""
    if not learners:
        return
    incoming: dict[Key, Values] = {}
    for item in learners:
        last = item.last_activity_at.astimezone(UTC)
        seen = latest.get(item.email)
        incoming[(item.email,)] = (
            item.given_name,
            item.family_name,
            item.created_at.astimezone(UTC),
            seen if seen is not None and seen > last else last,
            mbox_sha1sum(item.email),
        )
        ctx.names[item.email] = f"{item.given_name} {item.family_name}"
        ctx.listed.add(item.email)
    outcome = upsert(
        ctx.bulk, LEARNER, incoming, merge=_keep_latest_activity, on_insert=_new_pseudonym
    )
    ctx.report.add("learners", outcome.counts)
    ctx.learners.update(
        {str(key[0]): LearnerRef(int(row[0]), str(row[1])) for key, row in outcome.rows.items()}
    )


def import_enrolments(ctx: ImportContext, enrolments: Sequence[EnrolmentIn]) -> None:
    """Upsert enrolments by (learner, path), then module progress by (enrolment, module)."""
    if not enrolments:
        return
    section = "enrolments"
    learners = ctx.learner_refs(e.learner for e in enrolments)
    require(section, enrolments, "learner", learners, "learner")
    paths = ctx.path_ids(e.path for e in enrolments)
    require(section, enrolments, "path", paths, "learning path")
    contracts = ctx.contract_ids(e.contract for e in enrolments if e.contract is not None)
    require(section, enrolments, "contract", contracts, "contract")
    incoming: dict[Key, Values] = {}
    for item in enrolments:
        key = (learners[item.learner].id, paths[item.path])
        contract_id = contracts[item.contract] if item.contract is not None else None
        incoming[key] = (
            contract_id,
            utc(item.enrolled_at),
            item.status.value,
            item.progress,
            utc(item.completed_at),
        )
    outcome = upsert(ctx.bulk, ENROLMENT, incoming)
    ctx.report.add(section, outcome.counts)
    _import_progress(ctx, enrolments, outcome.ids(), learners, paths)


def _import_progress(
    ctx: ImportContext,
    enrolments: Sequence[EnrolmentIn],
    enrolment_ids: Mapping[Key, int],
    learners: Mapping[str, LearnerRef],
    paths: Mapping[str, int],
) -> None:
    wanted_paths = {paths[e.path] for e in enrolments if e.modules}
    if not wanted_paths:
        return
    modules = {
        (row[0], row[1]): int(row[2])
        for row in ctx.bulk.rows_where_in(
            learning_module, ("path_id", "code", "id"), "path_id", wanted_paths
        )
    }
    incoming: dict[Key, Values] = {}
    for index, item in enumerate(enrolments):
        path_id = paths[item.path]
        enrolment_id = enrolment_ids[(learners[item.learner].id, path_id)]
        for position, progress in enumerate(item.modules):
            module_id = modules.get((path_id, progress.module))
            if module_id is None:
                raise record_error(
                    "enrolments",
                    index,
                    item,
                    f"modules[{position}].module",
                    f'no module "{progress.module}" in learning path "{item.path}"',
                )
            incoming[(enrolment_id, module_id)] = (
                progress.status,
                progress.score_scaled,
                utc(progress.updated_at),
            )
    ctx.report.add("module_progress", upsert(ctx.bulk, PROGRESS, incoming).counts)

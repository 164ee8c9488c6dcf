"""The learner's own requests from "Mes données": see, download, rectify, erase.

Rectification, objection and erasure are recorded as data-subject requests
(:mod:`gardien.services.requests`), done at once and closed with their outcome: the identity was
checked by the session. Seeing or downloading one's data is not a request (the person asks
nothing of anyone): a download leaves an audit entry only. The page's content is the export of
:mod:`gardien.services.subject_export`, the same as ``gardien subject export``; downloads are
that JSON (complete, machine-readable: portability, art. 20), or a zip for people, streamed: a
README, one CSV file per category with labelled columns in their language, and the JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from gardien.errors import AuthenticationError, InvalidInputError, UnsupportedLanguageError
from gardien.i18n import SUPPORTED
from gardien.services.accounts.context import AccountServices
from gardien.services.erasure import ErasureResult, erase_subject
from gardien.services.erasure_mail import queue_erasure_mail
from gardien.services.requests import RequestView, close_request, record_request
from gardien.services.subject_export import open_export
from gardien.store.accounts import AccountRow, account_by_id
from gardien.store.audit import append_audit
from gardien.store.classify import classify
from gardien.store.tables import learner, metadata
from gardien.store.uow import UnitOfWork

# What a learner may correct themself; the address is the sign-in identifier and changes
# through the DPO (an address must be proven before it replaces another).
RECTIFIABLE = ("given_name", "family_name")
# The audit entry of a download of one's own data (no request is filed for it).
DOWNLOAD_ACTION = "subject.downloaded"
_MAX_NAME = 100


def actor_of(found: AccountRow) -> str:
    """How logs name a person acting on their own data: by account id, never by address."""
    return f"account:{found.id}"


def my_data(
    uow: UnitOfWork, services: AccountServices, email: str, *, limit: int
) -> dict[str, Any]:
    """The export as the page shows it: at most ``limit`` statements, the other records all,
    each category with its recipients (who received data of that category)."""
    with open_export(
        email, uow=uow, policy=services.policy, clock=services.clock, lookup=services.lookup
    ) as export:
        exported = export.preview(limit)
    for category in exported["categories"]:
        category["sent_to"] = [
            sent
            for sent in exported["transmissions"]
            if any(_category_of(field) == category["category"] for field in sent["fields"])
        ]
    return exported


def _category_of(dotted: str) -> str | None:
    table, _, column = dotted.partition(".")
    found = metadata.tables.get(table)
    if found is None or column not in found.c:
        return dotted if "." not in dotted else None  # a whole category named by the policy
    return classify(found.c[column]).category


def record_download(
    uow: UnitOfWork, services: AccountServices, found: AccountRow, *, fmt: str
) -> None:
    """Note in the audit log that the signed-in person downloaded their data (``json`` or
    ``zip``): who (by account id) and which format, nothing else.

    Reading one's own data is no request: nothing is asked of the organisation, there is no
    deadline to keep, so no ``subject_request`` row is filed. The audit entry keeps the trace
    a download of a whole account's data should leave (a stolen session shows there).
    """
    with uow:
        append_audit(
            uow.connection,
            action=DOWNLOAD_ACTION,
            actor=actor_of(found),
            details={"format": fmt},
            recorded_at=services.now(),
        )
        uow.commit()


def download(
    uow: UnitOfWork, services: AccountServices, email: str, *, fmt: str, lang: str
) -> Iterator[bytes]:
    """The person's whole export, JSON or a zip for people in ``lang``, written as it is read
    (flat memory whatever the number of statements); the read transaction lasts as long as
    the download."""
    with open_export(
        email, uow=uow, policy=services.policy, clock=services.clock, lookup=services.lookup
    ) as export:
        yield from export.json_chunks() if fmt == "json" else export.zip_chunks(lang)


@dataclass(frozen=True)
class Rectification:
    """What changed: field names only (the audit and the request never hold the values)."""

    changed: list[str]
    request: RequestView | None


def rectify(
    uow: UnitOfWork, services: AccountServices, found: AccountRow, values: dict[str, str]
) -> Rectification:
    """Correct the learner's identity fields; records the request with the fields' names."""
    if found.learner_id is None:
        raise InvalidInputError("only a learner's identity can be corrected here")
    clean = {}
    for name in RECTIFIABLE:
        value = " ".join(values.get(name, "").split())
        if not value:
            raise InvalidInputError("this field cannot be empty", field=name)
        if len(value) > _MAX_NAME:
            raise InvalidInputError(f"at most {_MAX_NAME} characters", field=name)
        clean[name] = value
    now = services.now()
    with uow:
        current = uow.connection.execute(
            learner.select().where(learner.c.id == found.learner_id)
        ).one()
        changed = [name for name in RECTIFIABLE if getattr(current, name) != clean[name]]
        if not changed:
            return Rectification([], None)
        uow.connection.execute(
            update(learner)
            .where(learner.c.id == found.learner_id)
            .values(**{name: clean[name] for name in changed}, last_activity_at=now)
        )
        view = record_request(
            uow.connection,
            now=now,
            email=found.email,
            kind="rectification",
            identity_check="session",
            details={"fields": changed},
            completed_with={"rectified": changed},
            actor=actor_of(found),
            region=services.policy.controller.holiday_region,
        )
        uow.commit()
    return Rectification(changed, view)


@dataclass(frozen=True)
class SelfErasure:
    """An erasure the person asked for: what went, what a legal duty keeps, the request."""

    result: ErasureResult
    request: RequestView


def erase_me(
    uow_factory: Any,
    services: AccountServices,
    found: AccountRow,
    *,
    password: str,
    lang: str = "fr",
) -> SelfErasure:
    """Erase the signed-in person, after they typed their password again.

    Three steps, each its own transaction, so that nothing is lost if one fails: the request
    is recorded open (a crash after this leaves it in the DPO console, due in a month); the
    erasure service runs and queues the e-mail that tells the person, in ``lang``, what it
    kept, why and until when (one transaction: both or neither); the request is closed with
    its outcome (no second e-mail: the first one is the answer).
    """
    if lang not in SUPPORTED:  # refused before anything is recorded
        raise UnsupportedLanguageError(lang, supported=SUPPORTED)
    with uow_factory() as uow:
        fresh = account_by_id(uow.connection, found.id)
    if fresh is None or fresh.password_hash is None:
        raise AuthenticationError("no such account")
    if not services.hasher.verify(fresh.password_hash, password):
        raise AuthenticationError("wrong password")
    actor = actor_of(found)
    with uow_factory() as uow:
        view = record_request(
            uow.connection,
            now=services.now(),
            email=found.email,
            kind="erasure",
            identity_check="session",
            actor=actor,
            region=services.policy.controller.holiday_region,
        )
        uow.commit()
    result = erase_subject(
        found.email,
        uow=uow_factory(),
        policy=services.policy,
        clock=services.clock,
        lookup=services.lookup,
        actor=actor,
        blobs=services.blobs,
        ledger=services.ledger,
        then=lambda connection, erased: queue_erasure_mail(
            connection,
            services,
            result=erased,
            reference=view.reference,
            lang=lang,
            address=found.email,
        ),
    )
    outcome = result.as_json()
    outcome.pop("subject", None)  # the request row already names the person
    closed = close_request(
        uow_factory(),
        services,
        reference=view.reference,
        status="completed",
        outcome=outcome,
        actor=actor,
        notify=False,
    )
    return SelfErasure(result, closed)

"""The learner's own requests from "Mes données": see, download, rectify, erase.

Every one is recorded as a data-subject request (:mod:`gardien.services.requests`), done at
once and closed with its outcome: the identity was checked by the session. The page's content
is :func:`gardien.services.subject_export.export_subject`, the same as ``gardien subject
export``; downloads are that JSON, or a zip of the JSON and one CSV file per category
(portability, art. 20: a structured, commonly used, machine-readable format).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import update

from gardien.errors import AuthenticationError, InvalidInputError
from gardien.services.accounts.context import AccountServices
from gardien.services.erasure import ErasureResult, erase_subject
from gardien.services.requests import RequestView, close_request, record_request
from gardien.services.subject_export import export_subject
from gardien.store.accounts import AccountRow, account_by_id
from gardien.store.classify import classify
from gardien.store.tables import learner, metadata
from gardien.store.uow import UnitOfWork

# What a learner may correct themself; the address is the sign-in identifier and changes
# through the DPO (an address must be proven before it replaces another).
RECTIFIABLE = ("given_name", "family_name")
_MAX_NAME = 100


def actor_of(found: AccountRow) -> str:
    """How logs name a person acting on their own data: by account id, never by address."""
    return f"account:{found.id}"


def my_data(uow: UnitOfWork, services: AccountServices, email: str) -> dict[str, Any]:
    """The export, with each category's recipients: who received data of that category."""
    exported = export_subject(email, uow=uow, policy=services.policy, clock=services.clock)
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
    uow: UnitOfWork, services: AccountServices, found: AccountRow, *, kind: str, fmt: str
) -> RequestView:
    """Record an access (JSON) or portability (zip) request, answered on the spot."""
    with uow:
        view = record_request(
            uow.connection,
            now=services.now(),
            email=found.email,
            kind=kind,
            identity_check="session",
            details={"format": fmt},
            completed_with={"delivered": fmt},
            actor=actor_of(found),
        )
        uow.commit()
    return view


def export_json(exported: dict[str, Any]) -> bytes:
    return orjson.dumps(
        exported,
        option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
    )


def export_zip(exported: dict[str, Any]) -> bytes:
    """The JSON export and, per category, a CSV file of its records (one row per field)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_entry("export.json"), export_json(exported))
        for category in exported["categories"]:
            archive.writestr(
                _entry(f"{category['category']}.csv"), _csv(_field_rows(category["records"]))
            )
        archive.writestr(_entry("transmissions.csv"), _csv(_transmission_rows(exported)))
    return buffer.getvalue()


def _entry(name: str) -> zipfile.ZipInfo:
    # A fixed date: the same data gives the same bytes (a person can compare two downloads).
    info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _field_rows(records: Iterable[dict[str, Any]]) -> list[list[str]]:
    rows = [["record", "field", "value", "retention_rule", "retention_ends_on"]]
    for record in records:
        retention = record.get("retention") or {}
        for name, value in record["fields"].items():
            rows.append(
                [
                    record["record"],
                    name,
                    "" if value is None else str(value),
                    str(retention.get("rule") or ""),
                    str(retention.get("ends_on") or ""),
                ]
            )
    return rows


def _transmission_rows(exported: dict[str, Any]) -> list[list[str]]:
    rows = [["transmitted_at", "recipient", "legal_basis", "contract", "fields"]]
    for sent in exported["transmissions"]:
        rows.append(
            [
                sent["transmitted_at"],
                sent["recipient"],
                sent["legal_basis"],
                sent["contract"] or "",
                " ".join(sent["fields"]),
            ]
        )
    return rows


def _csv(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheets read accents


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
        )
        uow.commit()
    return Rectification(changed, view)


@dataclass(frozen=True)
class SelfErasure:
    """An erasure the person asked for: what went, what a legal duty keeps, the request."""

    result: ErasureResult
    request: RequestView


def erase_me(
    uow_factory: Any, services: AccountServices, found: AccountRow, *, password: str
) -> SelfErasure:
    """Erase the signed-in person, after they typed their password again.

    Three steps, each its own transaction, so that nothing is lost if one fails: the request
    is recorded open (a crash after this leaves it in the DPO console, due in a month); the
    erasure service runs (one transaction); the request is closed with its outcome.
    """
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
        )
        uow.commit()
    result = erase_subject(
        found.email, uow=uow_factory(), policy=services.policy, clock=services.clock, actor=actor
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

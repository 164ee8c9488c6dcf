"""Subject export: every record held about one person, grouped by policy category.

This is the answer to an access request (GDPR art. 15) and the content of the learner
portal's "Mes données" page. What is personal, and in which category, is read from each
column's classification (``Column.info``); purposes, legal bases and retention from the
policy; clock readings from the store. Nothing here lists fields by hand except the secrets,
which are never exported: the export says whether a password is set, not its hash.

A learner's statements are not held in memory: :func:`open_export` gives the export with a
stream per learner (:mod:`gardien.services.export_stream`), which the command line, the
downloads and the page read at their own pace; :func:`export_subject` reads it whole.

The JSON shape is documented in ``docs/subject-export.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import orjson

from gardien.domain.clock import Clock
from gardien.domain.clocks import RETENTION_CLOCKS
from gardien.domain.lookup import SubjectLookup, normalise_address
from gardien.domain.retention import retention_end
from gardien.domain.vocabulary import FundingType
from gardien.domain.xapi.pseudonyms import address_identifier
from gardien.policy import Policy
from gardien.policy.model import RetentionRule
from gardien.services.export_stream import StatementStream, SubjectExport
from gardien.store.classify import classify
from gardien.store.disclosure import LoggedDisclosure, disclosures_of
from gardien.store.subject_queries import SubjectKeys, SubjectRow, find_subject_rows
from gardien.store.subject_statements import count_statements
from gardien.store.tables import metadata
from gardien.store.uow import UnitOfWork

EXPORT_FORMAT = 1

# Columns whose value never leaves the database; the export shows whether one is set.
SECRETS: dict[tuple[str, str], str] = {
    ("account", "password_hash"): "password_set",
    ("account", "totp_secret"): "second_factor_set",
    ("account", "totp_pending"): "second_factor_being_set_up",
    ("account", "recovery_codes"): "recovery_codes_set",
}

# What a person is, from the records found about them; in the order a reader expects.
_ROLES: tuple[tuple[str, str], ...] = (
    ("learner", "learner"),
    ("commercial_contact", "former_learner"),
    ("sponsor", "sponsor"),
    ("sponsor_contact", "sponsor_contact"),
    ("invoice", "billing_contact"),
    ("newsletter_subscription", "newsletter_subscriber"),
    ("contact_message", "contact_form_sender"),
    ("outbox_message", "email_recipient"),
    ("account", "account_holder"),
    ("subject_request", "requester"),
    # Named in xAPI statements that are no learner's of theirs (docs/xapi.md).
    ("activity_statement", "named_in_statements"),
)

# While a clock has not started (still subscribed, no contract ended yet) nothing has an
# end date: say what the period waits for instead.
_UNTIL: dict[str, dict[str, str]] = {
    "unsubscribed": {"fr": "jusqu'à la désinscription", "en": "until unsubscription"},
}
_NOT_STARTED = {
    "fr": "la durée de conservation n'a pas encore commencé à courir",
    "en": "the retention period has not started yet",
}


def subject_keys(email: str, lookup: SubjectLookup) -> SubjectKeys:
    """How records may name the person at ``email``: the address and its keyed lookups."""
    address = normalise_address(email)
    return SubjectKeys(
        email=address,
        lookups=tuple(lookup.candidates(address)),
        agent_names=tuple(lookup.candidates(address_identifier(address))),
    )


def export_subject(
    email: str, *, uow: UnitOfWork, policy: Policy, clock: Clock, lookup: SubjectLookup
) -> dict[str, Any]:
    """Everything held about the person at ``email`` (matched case-insensitively), as JSON data.

    Records are grouped by the policy category of their columns; each category carries its
    labels and the purposes that process it with their legal bases; each record its personal
    fields, some context to read it by, and the retention rule that applies with its end
    date as of ``clock.today()``. An address nothing is held about gives ``found: false``
    and no categories: that is an answer to an access request, not an error. This reads the
    whole export in memory: for a download, stream it with :func:`open_export`.
    """
    with open_export(email, uow=uow, policy=policy, clock=clock, lookup=lookup) as export:
        whole: dict[str, Any] = orjson.loads(b"".join(export.json_chunks()))
    return whole


@contextmanager
def open_export(
    email: str, *, uow: UnitOfWork, policy: Policy, clock: Clock, lookup: SubjectLookup
) -> Iterator[SubjectExport]:
    """The export of ``email`` with its statements still to be read, in one read transaction.

    Use it within the ``with`` block: the statements are read from the database as the
    export is written.
    """
    with uow:
        yield _build(uow, email, policy=policy, clock=clock, lookup=lookup)


def _build(
    uow: UnitOfWork, email: str, *, policy: Policy, clock: Clock, lookup: SubjectLookup
) -> SubjectExport:
    today = clock.today()
    connection = uow.connection
    keys = subject_keys(email, lookup)
    rows = find_subject_rows(connection, keys, financial_year=policy.financial_year)
    pseudonyms = [str(row.values["pseudonym"]) for row in rows if row.record == "learner"]
    sent = disclosures_of(connection, pseudonyms, keys.lookups)
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        for category, record in _records(row, policy, today):
            grouped.setdefault(category, []).append(record)
    streams = []
    for row in rows:
        if row.record == "learner":
            stream = _statement_stream(uow, row, policy, today)
            if stream is not None:
                grouped.setdefault(stream.category, []).append(stream)
                streams.append(stream)
    cited = _cited_rules(grouped)
    # Policy order first; a category the policy lacks (a failing `policy check`) still shows.
    order = [name for name in policy.categories if name in grouped]
    order += [name for name in grouped if name not in policy.categories]
    found = {row.record for row in rows}
    counts = {kind: sum(r.record == kind for r in rows) for kind in sorted(found)}
    if streams:
        streamed = sum(stream.count for stream in streams)
        counts["activity_statement"] = counts.get("activity_statement", 0) + streamed
        counts = dict(sorted(counts.items()))
    controller = policy.controller
    envelope = {
        "format": EXPORT_FORMAT,
        "subject": {"email": email.strip().lower()},
        "as_of": today.isoformat(),
        "policy_version": policy.version,
        "controller": {
            "name": controller.name,
            "email": str(controller.email),
            "dpo": {"name": controller.dpo.name, "email": str(controller.dpo.email)},
        },
        "found": bool(rows or sent),
        "roles": _roles(rows),
        "record_counts": counts,
        "categories": [_category(name, grouped[name], policy) for name in order],
        "retention_rules": {
            rid: _rule(rule) for rid, rule in policy.retention.items() if rid in cited
        },
        # Who received what about the person, and when (GDPR art. 15(1)(c)).
        "transmissions": [_transmission(item, policy) for item in sent],
    }
    return SubjectExport(uow.connection, envelope, streams)


def _statement_stream(
    uow: UnitOfWork, owner: SubjectRow, policy: Policy, today: date
) -> StatementStream | None:
    """The learner's statements, to be read later; their retention is the learner's, once."""
    learner_id = int(owner.values["id"])
    count = count_statements(uow.connection, learner_id)
    if not count:
        return None
    table = metadata.tables["activity_statement"]
    blank = SubjectRow(
        "activity_statement", {c.name: None for c in table.columns}, clocks=owner.clocks
    )
    category, record = next(_records(blank, policy, today))
    return StatementStream(
        learner_id=learner_id,
        count=count,
        category=category,
        retention=record["retention"],
    )


def _transmission(item: LoggedDisclosure, policy: Policy) -> dict[str, Any]:
    rule = policy.disclosure.get(FundingType(item.funding_type))
    recipient = rule.recipients.get(item.recipient) if rule is not None else None
    return {
        "transmitted_at": item.transmitted_at.isoformat(),
        "recipient": item.recipient,
        "recipient_label": (
            {"fr": recipient.label.fr, "en": recipient.label.en} if recipient else None
        ),
        "legal_basis": item.legal_basis,
        "contract": item.contract_reference,
        "funding_type": item.funding_type,
        "fields": item.fields,
        "payload_sha256": item.payload_sha256,
    }


def _cited_rules(grouped: dict[str, list[Any]]) -> set[str]:
    cited: set[str] = set()
    for records in grouped.values():
        for record in records:
            if isinstance(record, StatementStream):
                record = {"retention": record.retention}
            retention = record["retention"]
            if retention is not None:
                cited.add(retention["rule"])
                cited.update(kept["rule"] for kept in retention["kept_longer"])
    return cited


def _rule(rule: RetentionRule) -> dict[str, Any]:
    """A retention rule as the policy states it, described once for all records citing it."""
    clock_text = RETENTION_CLOCKS.get((rule.record, rule.clock))
    hold = rule.hold
    return {
        "label": rule.label.model_dump(),
        "record": rule.record,
        "with_records": list(rule.with_records),
        "months": rule.months,
        "clock": {
            "name": rule.clock,
            "label": {"fr": clock_text.fr, "en": clock_text.en} if clock_text else None,
        },
        "action": rule.action.value,
        "hold": {
            "fields": list(hold.fields),
            "legal_basis": hold.basis.value,
            "article": hold.basis.article,
            "reason": hold.reason.model_dump(),
        }
        if hold
        else None,
    }


def _roles(rows: list[SubjectRow]) -> list[str]:
    roles = []
    for record, role in _ROLES:
        matching = [row for row in rows if row.record == record]
        if record == "sponsor":
            kinds = sorted({str(row.values["kind"]) for row in matching})
            roles += [f"{kind}_sponsor" for kind in kinds]
        elif matching:
            roles.append(role)
    return roles


def _category(name: str, records: list[Any], policy: Policy) -> dict[str, Any]:
    declared = policy.categories.get(name)
    return {
        "category": name,
        "label": declared.label.model_dump() if declared else None,
        "description": declared.description.model_dump() if declared else None,
        "purposes": [
            {
                "purpose": pid,
                "label": purpose.label.model_dump(),
                "legal_basis": purpose.legal_basis.value,
                "article": purpose.legal_basis.article,
            }
            for pid, purpose in policy.purposes_for_category(name)
        ],
        "records": records,
    }


# -- one row → one record per category ---------------------------------------------------------


def _records(row: SubjectRow, policy: Policy, today: date) -> Iterator[tuple[str, dict[str, Any]]]:
    """The row's personal fields split by category, each with its retention."""
    table = metadata.tables[row.record]
    fields: dict[str, dict[str, Any]] = {}
    context: dict[str, Any] = {}
    for column in table.columns:
        mark = classify(column)
        if mark.lookup:
            continue  # a keyed lookup means nothing to the person; it is how we find them
        target = next((fk.column.table.name for fk in column.foreign_keys), None)
        if target == "learner":
            continue  # points at the subject themself: nothing to tell them
        name, value = _field_name(row.record, column.name), row.values[column.name]
        if target is not None:
            value = row.references.get(column.name)
        elif (row.record, column.name) in SECRETS:
            value = value is not None
        if mark.category is not None:
            fields.setdefault(mark.category, {})[name] = _json(value)
        elif not column.primary_key:
            context[name] = _json(value)
    context.update({key: _json(value) for key, value in row.context.items()})
    for category, values in fields.items():
        yield category, _record(row, category, values, context, policy, today)


def _field_name(record: str, column: str) -> str:
    """How a column is named in an export: a foreign key by what it points to, a secret by
    whether it is set."""
    if (record, column) in SECRETS:
        return SECRETS[record, column]
    foreign_keys = metadata.tables[record].c[column].foreign_keys
    return column.removesuffix("_id") if foreign_keys else column


def _record(
    row: SubjectRow,
    category: str,
    fields: dict[str, Any],
    context: dict[str, Any],
    policy: Policy,
    today: date,
) -> dict[str, Any]:
    return {
        "record": row.record,
        "fields": fields,
        "context": context,
        "retention": _retention(row, category, set(fields), policy, today),
    }


# -- retention ---------------------------------------------------------------------------------


def _retention(
    row: SubjectRow, category: str, fields: set[str], policy: Policy, today: date
) -> dict[str, Any] | None:
    """The rule that keeps this category of this row, and until when, as of ``today``."""
    rules = [
        (rid, rule)
        for rid, rule in policy.rules_for_category(category)
        if row.record == rule.record or row.record in rule.with_records
    ]
    if not rules:
        return None  # `gardien policy check` reports the gap; the export does not hide the data
    # A rule whose clock applies to the row comes first (a learner's account lives by the
    # learner's clock, a staff account by its own); then a rule on the record itself beats one
    # that sweeps it along with its owner.
    rules.sort(
        key=lambda item: (
            (item[1].record, item[1].clock) not in row.clocks,
            item[1].record != row.record,
        )
    )
    rid, rule = rules[0]
    reading = row.clocks.get((rule.record, rule.clock))
    ends_on = retention_end(reading, rule.months) if reading is not None else None
    result: dict[str, Any] = {
        "rule": rid,
        "clock_value": _json(reading),
        "ends_on": _json(ends_on),
        "status": _status(ends_on, today),
    }
    if ends_on is None:
        result["until"] = _UNTIL.get(rule.clock, _NOT_STARTED)
    result["kept_on_erasure"] = _held(rule, row, fields)
    if rule.hold is not None and result["kept_on_erasure"]:
        # Why this record may outlive an erasure (and the person's other records): the law.
        result["legal_duty"] = {
            "legal_basis": rule.hold.basis.value,
            "article": rule.hold.basis.article,
            "reason": rule.hold.reason.model_dump(),
        }
    result["kept_longer"] = [
        *_kept_by_same_record(rid, ends_on, row, fields, policy),
        *_kept_in_other_records(ends_on, row, fields, policy, today),
    ]
    return result


def _kept_by_same_record(
    rid: str, ends_on: date | None, row: SubjectRow, fields: set[str], policy: Policy
) -> Iterator[dict[str, Any]]:
    """Fields that another rule on the same record keeps past ``ends_on`` through its hold."""
    for other_id, other in policy.retention.items():
        if other_id == rid or other.record != row.record:
            continue
        other_reading = row.clocks.get((other.record, other.clock))
        held = _held(other, row, fields)
        if other_reading is None or not held:
            continue
        other_end = retention_end(other_reading, other.months)
        if ends_on is None or other_end > ends_on:
            yield {
                "rule": other_id,
                "fields": held,
                "ends_on": other_end.isoformat(),
                "record": row.record,
            }


def _kept_in_other_records(
    ends_on: date | None, row: SubjectRow, fields: set[str], policy: Policy, today: date
) -> Iterator[dict[str, Any]]:
    """Fields that the expiry of this row copies into another record, and that record's end.

    A learner's e-mail and last contract reference become a ``commercial_contact`` when the
    account expires, if the commercial period still runs on the day the sweep erases the
    account: the day after ``ends_on``, or today when that sweep is overdue. The retention
    engine decides the same way, so the person is told exactly what will happen.
    """
    if ends_on is None:
        return  # the row never expires by itself: nothing is copied out
    erased_on = max(ends_on + timedelta(days=1), today)
    for record, columns in row.carried.items():
        names = [_field_name(row.record, column) for column in columns]
        held = [name for name in names if name in fields]
        if not held:
            continue
        for other_id, other in policy.retention.items():
            reading = row.clocks.get((other.record, other.clock))
            if other.record != record or reading is None:
                continue
            other_end = retention_end(reading, other.months)
            if other_end >= erased_on:
                yield {
                    "rule": other_id,
                    "fields": held,
                    "ends_on": other_end.isoformat(),
                    "record": record,
                }


def _status(ends_on: date | None, today: date) -> str:
    """``running`` until the end date, ``expired`` after it (the sweep is due), or waiting."""
    if ends_on is None:
        return "not_started"
    return "running" if today <= ends_on else "expired"


def _held(rule: RetentionRule, row: SubjectRow, fields: set[str]) -> list[str]:
    """Which of the record's ``fields`` the rule's hold keeps past an erasure."""
    if rule.hold is None:
        return []
    own = [dotted.split(".", 1) for dotted in rule.hold.fields]
    names = [_field_name(row.record, column) for table, column in own if table == row.record]
    return [name for name in names if name in fields]


def _json(value: Any) -> Any:
    """Dates and instants as ISO 8601 text; everything else is already JSON data."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value

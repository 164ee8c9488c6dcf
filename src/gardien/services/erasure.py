"""``gardien subject erase``: erase one person on request, reconciled with legal duties.

Everything erasable goes now, in one transaction. What a legal duty keeps (an invoice's billing
snapshot, an OPCO dossier's evidence) stays, reduced to the fields of its rule's ``hold``, and
the result says what was kept, why (legal basis and reason) and until when. The commercial
contact that an expiry would keep goes too: it rests on legitimate interest, and a request to
erase is an objection to it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection

from gardien.domain.clock import Clock
from gardien.domain.lookup import SubjectLookup
from gardien.domain.retention import expiry_threshold, retention_end
from gardien.domain.vocabulary import RetentionAction
from gardien.policy import Policy
from gardien.services.subject_export import subject_keys
from gardien.services.xapi.attachments import drop_unused_blobs
from gardien.store.audit import append_audit
from gardien.store.blobs import BlobStore
from gardien.store.disclosure import disclosures_of
from gardien.store.erasure_applied import lineage_of, mark_applied
from gardien.store.erasure_ledger import ErasureLedger, new_entry
from gardien.store.retention.subject import HeldRow, erase_subject_rows, held_subject_rows
from gardien.store.scrub import scrub_freed_pages
from gardien.store.subject_queries import SubjectKeys
from gardien.store.uow import UnitOfWork


@dataclass(frozen=True)
class KeptRecord:
    """A record kept despite the erasure: which, which fields, on what basis, until when."""

    record: str
    key: str
    rule: str
    fields: list[str]
    legal_basis: str
    article: str
    reason: dict[str, str]
    until: date | None

    def as_json(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "key": self.key,
            "rule": self.rule,
            "fields": self.fields,
            "legal_basis": self.legal_basis,
            "article": self.article,
            "reason": self.reason,
            "until": self.until.isoformat() if self.until else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeptRecord:
        """The record :meth:`as_json` wrote (a closed request's outcome keeps it so)."""
        until = data.get("until")
        reason = data.get("reason")
        return cls(
            record=str(data.get("record", "")),
            key=str(data.get("key", "")),
            rule=str(data.get("rule", "")),
            fields=[str(name) for name in data.get("fields") or []],
            legal_basis=str(data.get("legal_basis") or ""),
            article=str(data.get("article") or ""),
            reason={str(k): str(v) for k, v in reason.items()} if isinstance(reason, dict) else {},
            until=date.fromisoformat(until) if isinstance(until, str) else None,
        )


@dataclass
class ErasureResult:
    """The answer to an erasure request."""

    email: str
    as_of: date
    erased: dict[str, int] = field(default_factory=dict)
    kept: list[KeptRecord] = field(default_factory=list)
    # Recipients who received the person's data (GDPR art. 19: tell them of the erasure).
    recipients: list[dict[str, Any]] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.erased or self.kept)

    def as_json(self) -> dict[str, Any]:
        return {
            "subject": {"email": self.email},
            "as_of": self.as_of.isoformat(),
            "found": self.found,
            "erased": dict(sorted(self.erased.items())),
            "kept": [record.as_json() for record in self.kept],
            "recipients_to_inform": self.recipients,
            "accountability": {
                "fr": "Le journal de conformité garde une trace pseudonyme de cet effacement.",
                "en": "The accountability log keeps a pseudonymous trace of this erasure.",
            },
        }


def erase_subject(
    email: str,
    *,
    uow: UnitOfWork,
    policy: Policy,
    clock: Clock,
    lookup: SubjectLookup,
    actor: str = "cli",
    blobs: BlobStore | None = None,
    ledger: ErasureLedger | None = None,
    then: Callable[[Connection, ErasureResult], None] | None = None,
) -> ErasureResult:
    """Erase what is held about ``email``; list what a legal duty keeps, why and until when.

    What is kept carries the keyed ``lookup`` of the address, so the person can still find it.
    ``then`` runs in the erasure's transaction, once the result is known and before the
    commit (queuing the e-mail that tells the person, say): if it fails, nothing is erased.

    With a ``ledger``, the erasure is first written there (keyed pseudonyms only), then its
    entry is recorded as applied in the erasure's transaction: a backup restored later cannot
    bring the person back unseen (docs/backups.md). The ledger comes first: if it cannot be
    written, nothing is erased and the caller sees why; if the database then fails, a replay
    erases someone who asked to be erased.
    """
    keys = subject_keys(email, lookup)
    entries: list[str] = []
    if ledger is not None:
        entry = new_entry(now=clock.now(), lookups=keys.lookups, agent_names=keys.agent_names)
        ledger.append(lineage_of(uow.engine), entry)
        entries.append(entry.id)
    return erase_keys(
        keys,
        uow=uow,
        policy=policy,
        clock=clock,
        lookup=lookup,
        actor=actor,
        blobs=blobs,
        entries=entries,
        then=then,
    )


def erase_keys(
    keys: SubjectKeys,
    *,
    uow: UnitOfWork,
    policy: Policy,
    clock: Clock,
    lookup: SubjectLookup,
    actor: str,
    blobs: BlobStore | None = None,
    entries: Sequence[str] = (),
    then: Callable[[Connection, ErasureResult], None] | None = None,
) -> ErasureResult:
    """Erase what records hold under ``keys``, and record ``entries`` of the erasure ledger
    as applied in the same transaction (:func:`erase_subject` for an address; the replay
    also for keyed pseudonyms alone, when the address is gone from the database)."""
    result = ErasureResult(email=keys.email, as_of=clock.today())
    learner_rule = next((r for r in policy.retention.values() if r.record == "learner"), None)
    aggregate = learner_rule is not None and learner_rule.action is RetentionAction.ANONYMISE
    held_from = _held_from(policy, result.as_of)
    with uow:
        done = erase_subject_rows(
            uow.connection,
            keys,
            now=clock.now(),
            aggregate=aggregate,
            held_from=held_from,
            lookup=lookup.of,
            financial_year=policy.financial_year,
        )
        result.erased = dict(done.rows)
        result.kept = [_explain(policy, held) for held in done.held]
        result.recipients = [
            {
                "recipient": item.recipient,
                "contract": item.contract_reference,
                "transmitted_at": item.transmitted_at.isoformat(),
            }
            for item in disclosures_of(uow.connection, done.pseudonyms, keys.lookups)
        ]
        if result.found:
            append_audit(
                uow.connection,
                action="subject.erased",
                actor=actor,
                details={
                    "as_of": result.as_of.isoformat(),
                    "rows": result.erased,
                    "subjects": done.subjects,
                    "kept": [{"record": k.record, "rule": k.rule} for k in result.kept],
                },
                recorded_at=clock.now(),
            )
        mark_applied(uow.connection, entries, now=clock.now())
        if then is not None:
            then(uow.connection, result)
        uow.commit()
    if blobs is not None:  # the content of the attachments of the statements erased
        dropped = drop_unused_blobs(uow.engine, blobs)
        if dropped:
            result.erased["xapi_blob"] = dropped
    scrub_freed_pages(uow.engine)
    return result


def preview_erasure(
    email: str, *, uow: UnitOfWork, policy: Policy, clock: Clock, lookup: SubjectLookup
) -> list[KeptRecord]:
    """What an erasure of ``email`` would keep today, why and until when, changing nothing.

    The same rows and the same explanations as :func:`erase_subject` gives after the fact, so
    the person reads them before they confirm.
    """
    keys = subject_keys(email, lookup)
    with uow:
        held = held_subject_rows(
            uow.connection,
            keys,
            held_from=_held_from(policy, clock.today()),
            financial_year=policy.financial_year,
        )
    return [_explain(policy, row) for row in held]


def _held_from(policy: Policy, today: date) -> dict[str, date]:
    """Per record a legal duty holds, the first clock day its rule still keeps."""
    return {
        rule.record: expiry_threshold(today, rule.months)
        for rule in policy.retention.values()
        if rule.hold is not None
    }


def _explain(policy: Policy, held: HeldRow) -> KeptRecord:
    for rule_id, rule in policy.retention.items():
        if rule.record == held.record and rule.hold is not None:
            return KeptRecord(
                record=held.record,
                key=held.key,
                rule=rule_id,
                fields=[name.partition(".")[2] for name in rule.hold.fields],
                legal_basis=rule.hold.basis.value,
                article=rule.hold.basis.article,
                reason={"fr": rule.hold.reason.fr, "en": rule.hold.reason.en},
                until=retention_end(held.clock_value, rule.months),
            )
    # No rule holds this record: the policy keeps it by no duty, yet it is not linked to the
    # person any more (invoices carry a snapshot only); say so rather than invent a reason.
    return KeptRecord(
        record=held.record,
        key=held.key,
        rule="",
        fields=[],
        legal_basis="",
        article="",
        reason={"fr": "Aucune règle ne le retient.", "en": "No rule holds it."},
        until=None,
    )

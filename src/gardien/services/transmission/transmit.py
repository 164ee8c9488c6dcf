"""``transmit``: the payload for one contract (or a sponsor's contracts over a period), for one
recipient, holding only what the policy allows, logged in the same transaction.

1. Each contract's funding type and the recipient give the allowance
   (:func:`gardien.domain.disclosure.allowed_disclosure`); a refusal cites the policy.
2. Only the allowed columns are read (:func:`gardien.store.disclosure.read_records`).
3. For an OPCO, the certificate of completion is generated from the dossier when every field
   it shows is allowed.
4. The document is rendered (JSON or CSV), its SHA-256 taken, and the disclosure log (one row
   per contract, with the pseudonyms of the people in it) and an audit entry are written with
   the same transaction; the payload is returned only once that has committed.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gardien.domain.clock import Clock
from gardien.domain.disclosure import AllowedDisclosure, allowed_disclosure
from gardien.domain.vocabulary import FundingType
from gardien.errors import DisclosureRefusedError, InvalidInputError
from gardien.policy import Policy
from gardien.services.documents.certificate import CertificateData, certificate_of_completion
from gardien.services.transmission.payload import FORMATS, plain, render, sha256
from gardien.store.audit import append_audit
from gardien.store.disclosure import (
    LEARNING_PATH,
    ContractRow,
    DisclosureEntry,
    category_fields,
    find_contract,
    log_disclosures,
    read_records,
    sponsor_contracts,
)
from gardien.store.uow import UnitOfWork

DOCUMENT_FORMAT = "gardien.transmission/1"
CERTIFICATE = "certificate_of_completion"
# What the certificate of completion shows: it is attached only when all of these may leave.
CERTIFICATE_FIELDS = (
    "opco_dossier.certificate_ref",
    "opco_dossier.agreement_reference",
    "opco_dossier.trainee_name",
    "opco_dossier.employer_name",
    "opco_dossier.training_title",
    "opco_dossier.training_start",
    "opco_dossier.training_end",
    "opco_dossier.duration_hours",
)
ATTENDANCE = "opco_dossier.attendance_summary"


@dataclass(frozen=True)
class Target:
    """One contract, or every contract of a sponsor that runs during ``[start, end]``."""

    contract: str | None = None
    sponsor: str | None = None
    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if (self.contract is None) == (self.sponsor is None):
            raise InvalidInputError("name either a contract or a sponsor", field="target")
        if self.sponsor is not None and (
            self.start is None or self.end is None or self.start > self.end
        ):
            raise InvalidInputError(
                "a sponsor's contracts need a period: a start on or before an end", field="period"
            )


@dataclass(frozen=True)
class Transmission:
    """What was sent: the bytes, their digest, and what the log recorded."""

    payload: bytes
    media_type: str
    sha256: str
    disclosure_ids: list[int]
    contracts: list[str]
    subjects: int
    skipped: list[str] = field(default_factory=list)
    certificates: dict[str, bytes] = field(default_factory=dict)


def transmit(
    uow: UnitOfWork,
    *,
    policy: Policy,
    clock: Clock,
    target: Target,
    recipient: str,
    fmt: str = "json",
    actor: str = "cli",
    render_with: Callable[[dict[str, Any]], bytes] | None = None,
) -> Transmission:
    """Build, log and return the transmission of ``target`` to ``recipient``.

    ``render_with`` turns the document (JSON-ready) into the bytes sent, in place of the
    standard rendering of ``fmt``: a file made for people (the sponsor space's CSV) is logged
    with the digest of its own bytes, under ``fmt``.
    """
    if fmt not in FORMATS:
        raise InvalidInputError(f"unknown format {fmt!r}: json or csv", field="format")
    now = clock.now()
    with uow:
        connection = uow.connection
        if target.contract is not None:
            contracts = [find_contract(connection, target.contract)]
        else:
            assert target.sponsor and target.start and target.end
            contracts = sponsor_contracts(
                connection, target.sponsor, start=target.start, end=target.end
            )
        allowed, skipped = _allowances(policy, contracts, recipient)
        sections, entries, certificates = [], [], {}
        for row, allowance in allowed:
            section, entry, pdfs = _section(connection, policy, row, allowance, now.date())
            sections.append(section)
            entries.append(entry)
            certificates.update(pdfs)
        document = {
            "format": DOCUMENT_FORMAT,
            "generated_at": now.isoformat(),
            "policy_version": policy.version,
            "recipient": recipient,
            "controller": policy.controller.name,
            "contracts": sections,
        }
        ready = plain(document)
        payload = render_with(ready) if render_with is not None else render(ready, fmt)
        digest = sha256(payload)
        ids = log_disclosures(
            connection,
            entries,
            transmitted_at=now,
            payload_format=fmt,
            payload_sha256=digest,
            actor=actor,
        )
        append_audit(
            connection,
            action="transmission.sent",
            actor=actor,
            details={
                "disclosures": ids,
                "recipient": recipient,
                "contracts": [e.contract_reference for e in entries],
                "legal_bases": sorted({e.legal_basis for e in entries}),
                "fields": sorted({f for e in entries for f in e.fields}),
                "subjects": sorted({p for e in entries for p in e.pseudonyms}),
                "payload_sha256": digest,
                "format": fmt,
            },
            recorded_at=now,
        )
        uow.commit()
    return Transmission(
        payload=payload,
        media_type=FORMATS[fmt],
        sha256=digest,
        disclosure_ids=ids,
        contracts=[e.contract_reference for e in entries],
        subjects=sum(e.subjects for e in entries),
        skipped=skipped,
        certificates=certificates,
    )


def _allowances(
    policy: Policy, contracts: list[ContractRow], recipient: str
) -> tuple[list[tuple[ContractRow, AllowedDisclosure]], list[str]]:
    """The contracts this recipient may receive, with their allowances; the others skipped.

    A single contract that may not go raises; so does a sponsor none of whose contracts may.
    """
    allowed, skipped, first_refusal = [], [], None
    for row in contracts:
        try:
            allowed.append(
                (row, allowed_disclosure(policy, FundingType(row.funding_type), recipient))
            )
        except DisclosureRefusedError as refusal:
            if len(contracts) == 1:
                raise
            first_refusal = first_refusal or refusal
            skipped.append(row.reference)
    if not allowed:
        if first_refusal is not None:
            raise first_refusal
        raise DisclosureRefusedError("no contract of this sponsor runs in that period")
    return allowed, skipped


def _section(
    connection: Any, policy: Policy, row: ContractRow, allowance: AllowedDisclosure, today: date
) -> tuple[dict[str, Any], DisclosureEntry, dict[str, bytes]]:
    records = read_records(
        connection, row.id, fields=allowance.fields, categories=allowance.categories
    )
    fields = list(allowance.fields)
    for category in allowance.categories:
        fields += [f for f in category_fields(category) if f not in fields]
    with_certificate = all(f in allowance.fields for f in CERTIFICATE_FIELDS)
    certificates: dict[str, bytes] = {}
    pseudonyms = sorted({r["_pseudonym"] for r in records if r["_pseudonym"] is not None})
    cleaned = []
    for record in records:
        kept = {key: value for key, value in record.items() if not key.startswith("_")}
        if with_certificate:
            filename, pdf = _certificate(policy, kept, allowance, today)
            certificates[filename] = pdf
            kept[CERTIFICATE] = {
                "filename": filename,
                "sha256": sha256(pdf),
                "pdf_base64": base64.b64encode(pdf).decode("ascii"),
            }
        cleaned.append(kept)
    if with_certificate:
        fields.append(CERTIFICATE)
    section = {
        "reference": row.reference,
        "funding_type": row.funding_type,
        "legal_basis": allowance.basis,
        "fields": fields,
        "records": cleaned,
    }
    entry = DisclosureEntry(
        contract_reference=row.reference,
        funding_type=row.funding_type,
        recipient=allowance.recipient,
        legal_basis=allowance.basis,
        fields=fields,
        pseudonyms=pseudonyms,
        subjects=len(records),
    )
    return section, entry, certificates


def _certificate(
    policy: Policy, record: dict[str, Any], allowance: AllowedDisclosure, today: date
) -> tuple[str, bytes]:
    """The certificate of completion of one OPCO dossier, from the allowed fields only."""
    agreement = str(record["opco_dossier.agreement_reference"])
    data = CertificateData(
        controller_name=policy.controller.name,
        controller_address=policy.controller.address,
        agreement_reference=agreement,
        opco_name=allowance.label_fr,
        trainee_name=record["opco_dossier.trainee_name"],
        employer_name=record["opco_dossier.employer_name"],
        training_title=record["opco_dossier.training_title"],
        training_start=record["opco_dossier.training_start"],
        training_end=record["opco_dossier.training_end"],
        duration_hours=float(record["opco_dossier.duration_hours"]),
        attendance_summary=record.get(ATTENDANCE) if ATTENDANCE in allowance.fields else None,
        issued_on=today,
    )
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in agreement)
    return f"certificat-{safe}.pdf", certificate_of_completion(data)


__all__ = ["LEARNING_PATH", "Target", "Transmission", "transmit"]

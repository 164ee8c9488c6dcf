"""Cross-reference checks that pydantic alone cannot make.

Each check raises a :class:`~gardien.errors.PolicyError` pointing at the offending line:
an unknown category, record, clock or field; a category with no retention rule; a funding
type with no disclosure rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from gardien.domain.clocks import RETENTION_CLOCKS, clocks_of
from gardien.domain.vocabulary import FundingType
from gardien.policy.catalogue import RecordCatalogue
from gardien.policy.model import Policy
from gardien.policy.source import Path, SourceDocument


def check_references(policy: Policy, document: SourceDocument, catalogue: RecordCatalogue) -> None:
    """Raise on the first reference in ``policy`` that points at nothing."""
    known = set(policy.categories)

    def categories(path: Path, names: Iterable[str]) -> None:
        for index, name in enumerate(names):
            if name not in known:
                raise document.error(
                    (*path, index), f"unknown category {name!r} (declared: {_list(known)})"
                )

    def fields(path: Path, names: Iterable[str]) -> None:
        for index, dotted in enumerate(names):
            record = dotted.partition(".")[0]
            if not catalogue.has_record(record):
                raise document.error((*path, index), f"unknown record {record!r} in {dotted!r}")
            if not catalogue.has_field(dotted):
                raise document.error(
                    (*path, index), f"field {dotted!r} does not exist in the data model"
                )

    for pid, purpose in policy.purposes.items():
        categories(("purposes", pid, "categories"), purpose.categories)

    for rid, rule in policy.retention.items():
        base: Path = ("retention", rid)
        categories((*base, "categories"), rule.categories)
        for key, record in [("record", rule.record)] + [
            (("with_records", i), r) for i, r in enumerate(rule.with_records)
        ]:
            if not catalogue.has_record(record):
                raise document.error(
                    (*base, *(key if isinstance(key, tuple) else (key,))),
                    f"unknown record {record!r} (records: {_list(catalogue.fields)})",
                )
        if (rule.record, rule.clock) not in RETENTION_CLOCKS:
            offered = _list(clocks_of(rule.record)) or "none"
            raise document.error(
                (*base, "clock"), f"record {rule.record!r} has no clock {rule.clock!r} ({offered})"
            )
        if rule.hold is not None:
            fields((*base, "hold", "fields"), rule.hold.fields)

    for funding, disclosure in policy.disclosure.items():
        for kind, recipient in disclosure.recipients.items():
            base = ("disclosure", funding.value, "recipients", kind)
            fields((*base, "fields"), recipient.fields)
            categories((*base, "categories"), recipient.categories)

    missing = [f.value for f in FundingType if f not in policy.disclosure]
    if missing:
        raise document.error(
            ("disclosure",),
            f"no disclosure rule for funding type(s) {', '.join(missing)}"
            " (write 'recipients: {}' where nothing may leave)",
        )

    covered = {c for rule in policy.retention.values() for c in rule.categories}
    served = {c for purpose in policy.purposes.values() for c in purpose.categories}
    for name in policy.categories:
        if name not in covered:
            raise document.error(("categories", name), f"category {name!r} has no retention rule")
        if name not in served:
            raise document.error(("categories", name), f"category {name!r} serves no purpose")


def _list(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))

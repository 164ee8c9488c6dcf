"""Cross-reference checks that pydantic alone cannot make.

Every reference must point at something: a category declared in ``categories``, a record and
a field of the data model (the :class:`RecordCatalogue`), a clock the record offers. Every
category needs a retention rule and a purpose; every funding type a disclosure rule; hosting
that claims no transfer outside the EU must be in the EU. The first problem in the file is
reported, with the line it is on, and a count of the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gardien.domain.clocks import RETENTION_CLOCKS, clocks_of
from gardien.domain.vocabulary import FundingType
from gardien.errors import PolicyError
from gardien.policy.catalogue import RecordCatalogue
from gardien.policy.model import Policy, RetentionRule
from gardien.policy.source import Path, SourceDocument

# Member states of the European Union and the other EEA states, where the GDPR applies.
# fmt: off
EEA_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO",
})
# fmt: on


def check_references(policy: Policy, document: SourceDocument, catalogue: RecordCatalogue) -> None:
    """Raise on the first reference in ``policy`` that points at nothing (first by line)."""
    problems = _Problems(document)
    known = set(policy.categories)

    def categories(path: Path, names: Sequence[str]) -> None:
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name not in known:
                problems.add(
                    (*path, index), f"unknown category {name!r} (declared: {_list(known)})"
                )
            elif name in seen:
                problems.add((*path, index), f"category {name!r} is listed twice")
            seen.add(name)

    def fields(path: Path, names: Sequence[str]) -> None:
        seen: set[str] = set()
        for index, dotted in enumerate(names):
            record = dotted.partition(".")[0]
            if not catalogue.has_record(record):
                problems.add(
                    (*path, index),
                    f"unknown record {record!r} in {dotted!r} (records: {_list(catalogue.fields)})",
                )
            elif not catalogue.has_field(dotted):
                problems.add(
                    (*path, index),
                    f"field {dotted!r} does not exist in the data model"
                    f" ({record} has: {_list(catalogue.fields[record])})",
                )
            elif dotted in seen:
                problems.add((*path, index), f"field {dotted!r} is listed twice")
            seen.add(dotted)

    for pid, purpose in policy.purposes.items():
        categories(("purposes", pid, "categories"), purpose.categories)

    for rid, rule in policy.retention.items():
        base: Path = ("retention", rid)
        categories((*base, "categories"), rule.categories)
        _check_records(problems, base, rule, catalogue)
        if rule.hold is not None:
            fields((*base, "hold", "fields"), rule.hold.fields)
        if rule.warning is not None and rule.record != "learner":
            problems.add(
                (*base, "warning"),
                f"only learners can be warned before expiry, not {rule.record!r} records",
            )
        outbox_months = min(
            (r.months for r in policy.retention.values() if r.record == "outbox_message"),
            default=None,
        )
        if (
            rule.warning is not None
            and outbox_months is not None
            and rule.warning.days_before > 28 * outbox_months
        ):
            # The queued warning is what prevents a second one in the same cycle: it must
            # outlive the warning period.
            problems.add(
                (*base, "warning", "days_before"),
                f"a warning {rule.warning.days_before} days ahead would be purged by the outbox"
                f" rule ({outbox_months} months) before the data expires: at most"
                f" {28 * outbox_months} days",
            )

    for funding, disclosure in policy.disclosure.items():
        for kind, recipient in disclosure.recipients.items():
            where: Path = ("disclosure", funding.value, "recipients", kind)
            if not recipient.fields and not recipient.categories:
                problems.add(
                    where,
                    "a recipient must be given fields or categories"
                    " (where nothing may leave, write 'recipients: {}')",
                )
            fields((*where, "fields"), recipient.fields)
            categories((*where, "categories"), recipient.categories)
            if recipient.purpose is not None and recipient.purpose not in policy.purposes:
                problems.add(
                    (*where, "purpose"),
                    f"unknown purpose {recipient.purpose!r} (declared: {_list(policy.purposes)})",
                )
        sponsors = [kind for kind, recipient in disclosure.recipients.items() if recipient.sponsor]
        if len(sponsors) > 1:
            # The sponsor space shows one recipient's fields: two would leave it guessing.
            problems.add(
                ("disclosure", funding.value, "recipients", sponsors[1], "sponsor"),
                f"only one recipient per funding type can be the sponsor ({_list(sponsors)})",
            )

    missing = [f.value for f in FundingType if f not in policy.disclosure]
    if missing:
        problems.add(
            ("disclosure",),
            f"no disclosure rule for funding type(s) {', '.join(missing)}"
            " (write 'recipients: {}' where nothing may leave)",
            consequence=True,
        )

    covered = {c for rule in policy.retention.values() for c in rule.categories}
    served = {c for purpose in policy.purposes.values() for c in purpose.categories}
    for name in policy.categories:
        if name not in covered:
            problems.add(
                ("categories", name), f"category {name!r} has no retention rule", consequence=True
            )
        elif name not in served:
            problems.add(
                ("categories", name), f"category {name!r} serves no purpose", consequence=True
            )

    hosting = policy.hosting
    if not hosting.transfers_outside_eu and hosting.country not in EEA_COUNTRIES:
        problems.add(
            ("hosting", "country"),
            f"{hosting.country!r} is outside the EU/EEA, yet transfers_outside_eu is false",
        )

    problems.raise_first()


def _check_records(
    problems: _Problems, base: Path, rule: RetentionRule, catalogue: RecordCatalogue
) -> None:
    records: list[tuple[Path, str]] = [((*base, "record"), rule.record)]
    records += [((*base, "with_records", i), r) for i, r in enumerate(rule.with_records)]
    for path, record in records:
        if not catalogue.has_record(record):
            problems.add(path, f"unknown record {record!r} (records: {_list(catalogue.fields)})")
    if catalogue.has_record(rule.record) and (rule.record, rule.clock) not in RETENTION_CLOCKS:
        offered = _list(clocks_of(rule.record)) or "none"
        problems.add(
            (*base, "clock"),
            f"unknown clock {rule.clock!r}: record {rule.record!r} offers {offered}",
        )


class _Problems:
    """Problems found so far, each already a :class:`PolicyError` pointing at its line.

    A *consequence* (a category left without a rule) is often caused by another problem (the
    rule misspells the category), so it is reported only when nothing else is wrong.
    """

    def __init__(self, document: SourceDocument) -> None:
        self.document = document
        self.causes: list[PolicyError] = []
        self.consequences: list[PolicyError] = []

    def add(self, path: Path, problem: str, *, consequence: bool = False) -> None:
        error = self.document.error(path, problem)
        (self.consequences if consequence else self.causes).append(error)

    def raise_first(self) -> None:
        if self.causes or self.consequences:
            raise first_of(
                self.causes or self.consequences, total=len(self.causes) + len(self.consequences)
            )


def first_of(problems: Sequence[PolicyError], *, total: int | None = None) -> PolicyError:
    """The problem on the earliest line, its message noting how many others there are."""
    # sorted() is stable: problems on the same line keep the order they were found in.
    first = sorted(problems, key=lambda problem: problem.line or 0)[0]
    others = (len(problems) if total is None else total) - 1
    if others == 0:
        return first
    return PolicyError(
        f"{first.problem} (and {others} more problem{'s' if others > 1 else ''})",
        source=first.source,
        line=first.line,
    )


def _list(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))

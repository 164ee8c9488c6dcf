"""ImportReport: counts per kind and a one-line-per-kind summary."""

from __future__ import annotations

from gardien.services.importing.report import Counts, ImportReport


def test_summary_lists_kinds_in_writing_order() -> None:
    report = ImportReport()
    report.add("statements", Counts(inserted=3, unchanged=1))
    report.add("learners", Counts(inserted=1))
    report.add("learners", Counts(updated=2))
    assert report.summary() == (
        "learners: 1 inserted, 2 updated, 0 unchanged\n"
        "statements: 3 inserted, 0 updated, 1 unchanged"
    )
    assert report.changed
    assert report.of("learners") == Counts(1, 2, 0)
    assert report.of("invoices") == Counts()


def test_an_import_that_changed_nothing() -> None:
    report = ImportReport()
    report.add("learners", Counts(unchanged=2))
    assert not report.changed
    assert report.summary() == "learners: 0 inserted, 0 updated, 2 unchanged"
    assert ImportReport().summary() == "nothing to import: the document holds no records"

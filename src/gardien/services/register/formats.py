"""Lay the register out as CSV, JSON or HTML; the wording is settled before it gets here.

In CSV, a cell holding several values (recipients, retention rules, ...) puts one value per
line: every spreadsheet shows line breaks inside a quoted cell, and no value of the policy
spans lines, whereas any separator character (";", ",") may occur inside a label.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from gardien.services.register import wording as w
from gardien.services.register.model import Activity, Register

CELL_SEPARATOR = "\n"


def as_csv(register: Register) -> str:
    """A header row of localized headings, then one row per activity; every cell is filled."""
    buffer = io.StringIO()
    columns = (*w.ACTIVITY_COLUMNS, *w.HEADER_COLUMNS)
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([column.heading.in_(register.lang) for column in columns])
    header = register.header()
    for activity in register.activities:
        cells = activity.cells()
        writer.writerow(
            [
                CELL_SEPARATOR.join(cells[c.key]) if c.key in cells else header[c.key]
                for c in columns
            ]
        )
    return buffer.getvalue()


def as_json(register: Register) -> dict[str, Any]:
    """The register as JSON-ready data: stable English keys, values in the register's language."""
    lang = register.lang
    return {
        "title": w.TITLE.in_(lang),
        "lang": lang,
        "policy_version": register.policy_version,
        "controller": {
            "name": register.controller.name,
            "address": register.controller.address,
            "email": register.controller.email,
        },
        "dpo": {"name": register.dpo.name, "email": register.dpo.email},
        "columns": {c.key: c.heading.in_(lang) for c in (*w.ACTIVITY_COLUMNS, *w.HEADER_COLUMNS)},
        "activities": [_activity_json(activity) for activity in register.activities],
    }


def _activity_json(activity: Activity) -> dict[str, Any]:
    basis = activity.legal_basis
    transfers = activity.transfers
    return {
        "purpose_id": activity.purpose_id,
        "purpose": activity.purpose,
        "legal_basis": {
            "basis": basis.basis.value,
            "article": basis.article,
            "name": basis.name,
            "text": basis.text,
        },
        "data_subjects": list(activity.data_subjects),
        "data_categories": [
            {"id": c.id, "label": c.label, "description": c.description, "text": c.text}
            for c in activity.data_categories
        ],
        "sensitive_data": activity.sensitive_data,
        "recipients": [
            {
                "kind": r.kind.value,
                "id": r.id,
                "funding": r.funding.value if r.funding else None,
                "label": r.label,
                "text": r.text,
            }
            for r in activity.recipients
        ],
        "transfers": {
            "outside_eu": transfers.outside_eu,
            "provider": transfers.provider,
            "country": transfers.country,
            "text": transfers.text,
        },
        "retention": [
            {
                "rule": r.rule,
                "label": r.label,
                "months": r.months,
                "categories": list(r.categories),
                "text": r.text,
            }
            for r in activity.retention
        ],
        "security": list(activity.security),
    }


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("gardien.services.register", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def as_html(register: Register) -> str:
    """A complete HTML5 document: the header, then a table with one row per activity."""
    lang = register.lang
    header = register.header()
    return (
        _environment()
        .get_template("register.html")
        .render(
            lang=lang,
            title=w.TITLE.in_(lang),
            controller=register.controller.name,
            caption=w.CAPTION.in_(lang),
            header=[(c.heading.in_(lang), header[c.key]) for c in w.HEADER_COLUMNS],
            columns=[(c.key, c.heading.in_(lang)) for c in w.ACTIVITY_COLUMNS],
            rows=[(a.purpose_id, a.cells()) for a in register.activities],
        )
    )

"""A contract as its sponsor's contact may see it, as a CSV file a spreadsheet opens.

Exactly what the contract page shows, and nothing else: the contract's reference, funding and
period, then, when the policy gives the sponsor a recipient for this funding type, the allowed
fields of each learner and (when the learning path may be shared) one row per module followed.
A contract whose learners' data is not shared (CPF, online payment in the default policy) gives
one row: the contract itself.

Columns are named in the page's language, values written as on the page. UTF-8 with a byte
order mark, so that spreadsheets read accents right; cells are separated by ``;`` in French
(what French spreadsheets expect, the comma being the decimal mark) and by ``,`` in English.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import Request

from gardien.services.sponsor_space import ContractView
from gardien.store.disclosure import LEARNING_PATH
from gardien.web.forms import N_
from gardien.web.sponsor_words import day, funding, label, value

DELIMITERS = {"fr": ";", "en": ","}
BOM = "\ufeff"
# The contract's own columns, first in every row: the page's heading and facts.
CONTRACT_COLUMNS = (
    "contract.reference",
    "contract.funding_type",
    "contract.starts_on",
    "contract.ends_on",
)
# In one flat table two statuses sit side by side: each says whose it is.
WORDING = {
    "contract.reference": N_("Contract"),
    "contract.funding_type": N_("Funding"),
    "contract.starts_on": N_("Start"),
    "contract.ends_on": N_("End"),
    "enrolment.status": N_("path status"),
    "module_progress.status": N_("module status"),
}
# A spreadsheet runs a cell starting with these as a formula: such a value is kept as text.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def columns(view: ContractView) -> list[str]:
    """The fields of the file, in order: the contract's, the learners', their paths'."""
    learner = [f for f in view.fields if f not in CONTRACT_COLUMNS]
    return [*CONTRACT_COLUMNS, *learner, *view.path_fields]


def _rows(view: ContractView) -> list[dict[str, Any]]:
    """One row per learner, or per module followed when the learning path is shared."""
    contract = {
        "contract.reference": view.reference,
        "contract.funding_type": view.funding_type,
        "contract.starts_on": view.starts_on,
        "contract.ends_on": view.ends_on,
    }
    if not view.records:
        return [contract]
    rows = []
    for record in view.records:
        own = {**contract, **{k: v for k, v in record.items() if k != LEARNING_PATH}}
        paths = (record.get(LEARNING_PATH) or []) if view.learning_path else []
        if not paths:
            rows.append(own)
        for path in paths:
            facts = {k: v for k, v in path.items() if k != "modules"}
            for module in path.get("modules") or [{}]:
                rows.append({**own, **facts, **module})
    return rows


def _cell(request: Request, lang: str, field: str, raw: Any) -> str:
    if raw is None or raw == "" or raw == []:
        return ""
    if field == "contract.funding_type":
        text = funding(request, lang, raw)
    elif field in ("contract.starts_on", "contract.ends_on") and not isinstance(raw, str):
        text = day(raw, lang)
    else:
        text = value(request, lang, field, raw)
    return f"'{text}" if text.startswith(_FORMULA) else text


def contract_csv(request: Request, lang: str, view: ContractView) -> bytes:
    """The CSV file of ``view`` in ``lang``: a header row of labels, then the rows."""
    fields = columns(view)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITERS[lang], lineterminator="\r\n")
    writer.writerow([label(request, lang, f, WORDING) for f in fields])
    for row in _rows(view):
        writer.writerow([_cell(request, lang, f, row.get(f)) for f in fields])
    return (BOM + out.getvalue()).encode("utf-8")


def filename(reference: str, lang: str) -> str:
    """The download's name: the contract's reference, in characters any system accepts."""
    safe = "".join(c if (c.isascii() and c.isalnum()) or c in "-_" else "-" for c in reference)
    return f"{'contrat' if lang == 'fr' else 'contract'}-{safe}.csv"

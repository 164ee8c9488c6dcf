"""The sponsor space, for sponsors' contacts only: their sponsor's contracts, and of each
contract's learners exactly what the policy lets the sponsor receive. French at the root,
English under ``/en``.

Opening a contract whose learners' data may be shown is a transmission, logged before the page
is built (:mod:`gardien.services.sponsor_space`); the page is therefore never cached. So is
downloading it as CSV (``/sponsor/csv/<reference>``, :mod:`gardien.web.sponsor_csv`): the same
data in a file. Another sponsor's contract and an unknown reference both answer 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gardien.domain.vocabulary import LegalBasis
from gardien.services.notice.phrases import LEGAL_BASES
from gardien.services.sponsor_space import ContractView, sponsor_overview, view_contract
from gardien.store.disclosure import LEARNING_PATH
from gardien.store.uow import UnitOfWork
from gardien.web.auth import require
from gardien.web.forms import N_, PREFIXES, page_base, translate
from gardien.web.sponsor_csv import CONTRACT_COLUMNS, contract_csv, filename
from gardien.web.sponsor_words import PATH_FIELDS, day, funding, label, value

router = APIRouter()

ROLE = "sponsor_contact"
SyncHandler = Callable[..., Response]
# Shown above a path's modules rather than as a row of its own.
_PATH_TITLE = ("learning_path.title", "learning_path.code")


def _contract_url(lang: str, reference: str, *, csv: bool = False) -> str:
    kind = "csv" if csv else "contracts"
    return f"{PREFIXES[lang]}/sponsor/{kind}/{quote(reference, safe='')}"


def _overview(lang: str) -> SyncHandler:
    # Plain functions: the database work runs in FastAPI's thread pool, not on the event loop.
    def page(request: Request) -> Response:
        session = require(request, ROLE)
        container, pages, context = page_base(request)
        overview = sponsor_overview(
            UnitOfWork(container.engine), policy=container.policy, account_id=session.account.id
        )
        contracts = [
            {
                "reference": line.reference,
                "url": _contract_url(lang, line.reference),
                "funding": funding(request, lang, line.funding_type),
                "starts_on": day(line.starts_on, lang),
                "ends_on": day(line.ends_on, lang),
                "learners": line.learners,
                "shows_data": line.shows_data,
            }
            for line in overview.contracts
        ]
        return pages.render(
            request,
            "sponsor.html",
            lang,
            {**context, "sponsor_name": overview.sponsor_name, "contracts": contracts},
        )

    return page


def _learner_heading(request: Request, lang: str, record: dict[str, Any], number: int) -> str:
    names = [record.get("learner.given_name"), record.get("learner.family_name")]
    named = " ".join(str(n) for n in names if n)
    return named or translate(request, lang, N_("Learner %(number)d"), number=number)


def _in_order(keys: dict[str, Any]) -> list[str]:
    """The keys of a path or module in reading order (the payload sorts them by name)."""
    order = list(PATH_FIELDS)
    return sorted(keys, key=lambda k: (order.index(k) if k in order else len(order), k))


def _cells(
    request: Request, lang: str, fields: list[str] | tuple[str, ...], record: dict[str, Any]
) -> list[tuple[str, str]]:
    """A table row: each cell's value with its column's name (shown before it on a phone)."""
    return [(label(request, lang, f), value(request, lang, f, record.get(f))) for f in fields]


def _learning_paths(request: Request, lang: str, view: ContractView) -> list[dict[str, Any]]:
    """Per learner, their paths under the contract: the path's own values, then its modules."""
    learners = []
    for number, record in enumerate(view.records, start=1):
        paths = []
        for path in record.get(LEARNING_PATH) or []:
            title = " — ".join(str(path[k]) for k in _PATH_TITLE if path.get(k))
            facts = [
                (label(request, lang, key), value(request, lang, key, path[key]))
                for key in _in_order(path)
                if key != "modules" and key not in _PATH_TITLE
            ]
            modules = path.get("modules") or []
            columns = _in_order({key: None for module in modules for key in module})
            paths.append(
                {
                    "title": title,
                    "facts": facts,
                    "headers": [label(request, lang, key) for key in columns],
                    "rows": [_cells(request, lang, columns, module) for module in modules],
                }
            )
        learners.append(
            {"heading": _learner_heading(request, lang, record, number), "paths": paths}
        )
    return learners


def _view(
    request: Request, reference: str, as_file: Callable[[ContractView], bytes] | None = None
) -> ContractView:
    """The contract as the signed-in contact may see it; when it shows learners' data, the
    view is logged as a transmission to the sponsor (pseudonyms and field names, no values),
    with the digest of the file when it leaves as ``as_file`` makes it."""
    session = require(request, ROLE)
    container, _pages, _context = page_base(request)
    return view_contract(
        UnitOfWork(container.engine, write=True),
        policy=container.policy,
        clock=container.clock,
        account_id=session.account.id,
        reference=reference,
        as_file=as_file,
    )


def _contract(lang: str) -> SyncHandler:
    def page(request: Request, reference: str) -> Response:
        view = _view(request, reference)
        _container, pages, context = page_base(request)
        basis = (
            translate(request, lang, LEGAL_BASES[LegalBasis(view.legal_basis)])
            if view.legal_basis
            else ""
        )
        # The contract's own reference and dates are the page's heading: not one column each.
        learner_fields = [f for f in view.fields if f not in CONTRACT_COLUMNS]
        values = {
            **context,
            "reference": view.reference,
            "back_url": f"{PREFIXES[lang]}/sponsor",
            "funding": funding(request, lang, view.funding_type),
            "starts_on": day(view.starts_on, lang),
            "ends_on": day(view.ends_on, lang),
            "learners": view.learners,
            "summary": view.summary.in_(lang) if view.summary else "",
            "shows_data": view.recipient is not None,
            "recipient": view.recipient_label.in_(lang) if view.recipient_label else "",
            "basis": basis,
            "headers": [label(request, lang, f) for f in learner_fields],
            "rows": [_cells(request, lang, learner_fields, r) for r in view.records],
            "csv_url": _contract_url(lang, view.reference, csv=True),
            "learning_path": view.learning_path,
            "paths": _learning_paths(request, lang, view) if view.learning_path else [],
        }
        # A transmission's content: neither the browser nor a proxy keeps a copy.
        return pages.render(
            request, "sponsor_contract.html", lang, values, headers={"Cache-Control": "no-store"}
        )

    return page


def _download(lang: str) -> SyncHandler:
    def download(request: Request, reference: str) -> Response:
        # Logged as opening the page is, with the digest of the very file sent.
        view = _view(request, reference, lambda shown: contract_csv(request, lang, shown))
        disposition = f'attachment; filename="{filename(view.reference, lang)}"'
        return Response(
            view.file if view.file is not None else contract_csv(request, lang, view),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
        )

    return download


for _lang, _prefix in PREFIXES.items():
    _routes: list[tuple[str, SyncHandler]] = [
        ("/sponsor", _overview(_lang)),
        # References may hold a slash: the links quote it, the route takes the rest of the path.
        ("/sponsor/contracts/{reference:path}", _contract(_lang)),
        ("/sponsor/csv/{reference:path}", _download(_lang)),
    ]
    for _path, _handler in _routes:
        router.add_api_route(
            f"{_prefix}{_path}", _handler, methods=["GET"], include_in_schema=False
        )

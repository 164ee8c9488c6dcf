"""Purges from the DPO console (role ``dpo`` only), French at ``/console/purges``, English under
``/en/console/purges``.

- ``/console/purges``: when the nightly sweep and audit check last ran (late past 26 hours),
  and the purge forecast (:mod:`gardien.services.forecast`), overdue records in the totals.
- ``/console/purges/preview``: a dry run, per rule, and the form that starts a purge.
- ``POST /console/purges``: starts the purge the DPO confirmed, in a thread of this process.
- ``/console/purges/runs/{run}``: how far that purge got, then its report. A link reloads it;
  another makes it reload itself every few seconds (``?auto=on``: ``<meta http-equiv="refresh">``,
  no JavaScript), which the person chooses and can stop (WCAG 2.2.1).

The purge is :func:`gardien.services.purges.purge`, the very run ``gardien sweep`` makes,
audited the same way under the actor ``dpo:<account id>``. It runs in a background thread
with an engine of its own (the command line's: it waits for locks as long as a batch needs),
so the request that starts it answers at once. Its state is read back from the audit log, so
any worker of ``gardien serve --workers N`` shows it.
"""

from __future__ import annotations

import logging
import threading
from datetime import date
from functools import partial
from typing import Any

from babel.numbers import format_decimal
from dateutil.relativedelta import relativedelta
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gardien.bootstrap import Container
from gardien.errors import NotFoundError
from gardien.i18n.dates import format_day
from gardien.services import purges
from gardien.services.console import FORECAST_MONTHS, dpo_actor
from gardien.services.forecast import Forecast, forecast
from gardien.services.sweep import CLI_BATCH_SECONDS, CLI_MAX_BATCH
from gardien.store.engine import make_engine
from gardien.store.uow import UnitOfWork
from gardien.web.auth import check_csrf, require
from gardien.web.console_pages import ACTIONS, format_instant
from gardien.web.deps import FormDep, get_container
from gardien.web.forms import N_, PREFIXES, Handler, field_of, page_base, translate

router = APIRouter()
log = logging.getLogger(__name__)

# How often the status page of a running purge reloads itself.
REFRESH_SECONDS = 5
CONFIRM_ERROR = N_("Tick the box to confirm the purge.")
STATES = {
    "running": N_("Purge running"),
    "done": N_("Purge finished"),
    "failed": N_("Purge failed"),
    "stalled": N_("Purge stopped before the end"),
}
# One purge at a time per process (the audit log tells the other workers).
_starting = threading.Lock()


def _urls(lang: str) -> dict[str, str]:
    prefix = PREFIXES[lang]
    return {
        "console_url": f"{prefix}/console",
        "purges_url": f"{prefix}/console/purges",
        "preview_url": f"{prefix}/console/purges/preview",
    }


def _run_url(lang: str, run: int) -> str:
    return f"{PREFIXES[lang]}/console/purges/runs/{run}"


def _job(container: Container) -> purges.Purge:
    return purges.Purge(
        engine=container.engine,
        policy=container.policy,
        clock=container.clock,
        lookup=container.lookup,
        portal_url=container.settings.public_url.rstrip("/") + "/",
        blobs=container.blobs,
    )


def _common(request: Request, lang: str) -> dict[str, Any]:
    container = get_container(request)
    return {
        **_urls(lang),
        "day": partial(format_day, lang=lang),
        "instant": partial(format_instant, lang=lang),
        "rule_labels": {
            rule_id: rule.label.in_(lang) for rule_id, rule in container.policy.retention.items()
        },
        "actions": {key: translate(request, lang, text) for key, text in ACTIONS.items()},
    }


def _forecast_context(board: Forecast, lang: str) -> dict[str, Any]:
    """What ``_forecast_table.html`` needs besides labels: the forecast and its month headers."""
    windows = [month.window for month in board.rules[0].months] if board.rules else []
    return {
        "forecast": board,
        "months": [f"{w.first:%m/%Y}" if lang == "fr" else w.month for w in windows],
    }


def _schedule_of(container: Container) -> purges.Schedule:
    """The nightly jobs' status, for ``_purge_schedule.html`` (console_pages.py reads the same
    for the dashboard)."""
    return purges.schedule(container.engine, now=container.clock.now())


# -- the purges page ---------------------------------------------------------------------------


def _purges_get(lang: str) -> Handler:
    def page(request: Request) -> Response:
        require(request, "dpo")
        container, pages, context = page_base(request)
        today: date = container.clock.today()
        board = forecast(
            container.engine,
            policy=container.policy,
            clock=container.clock,
            until=today + relativedelta(months=FORECAST_MONTHS),
        )
        return pages.render(
            request,
            "console_purges.html",
            lang,
            {
                **context,
                **_common(request, lang),
                **_forecast_context(board, lang),
                "today": today,
                "schedule": _schedule_of(container),
                "late_hours": int(purges.LATE_AFTER.total_seconds() // 3600),
                "running": purges.running(UnitOfWork(container.engine), now=container.clock.now()),
                "run_url": partial(_run_url, lang),
            },
        )

    return page


# -- the dry run and the confirmation ----------------------------------------------------------


def _preview_page(
    request: Request, lang: str, *, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    container, pages, context = page_base(request)
    report = purges.preview(_job(container))
    return pages.render(
        request,
        "console_purge_preview.html",
        lang,
        {
            **context,
            **_common(request, lang),
            "report": report,
            "total": sum(rule.expired for rule in report.rules),
            "running": purges.running(UnitOfWork(container.engine), now=container.clock.now()),
            "run_url": partial(_run_url, lang),
            "errors": errors or {},
        },
        status_code=status,
    )


def _preview_get(lang: str) -> Handler:
    def page(request: Request) -> Response:
        require(request, "dpo")
        return _preview_page(request, lang)

    return page


def _start_post(lang: str) -> Handler:
    def submit(request: Request, form: FormDep) -> Response:
        session = require(request, "dpo")
        check_csrf(request, form)
        if field_of(form, "confirm") != "yes":
            error = translate(request, lang, CONFIRM_ERROR)
            return _preview_page(request, lang, errors={"confirm": error}, status=400)
        container = get_container(request)
        actor = dpo_actor(session.account.id)
        with _starting:
            already = purges.running(UnitOfWork(container.engine), now=container.clock.now())
            if already is not None:  # a second click, or another DPO: show the one running
                return RedirectResponse(_run_url(lang, already.run), status_code=303)
            job = _job(container)
            run = purges.start(job, actor=actor, expected=purges.preview(job))
            _launch(container, actor=actor, run=run)
        return RedirectResponse(_run_url(lang, run), status_code=303)

    return submit


def _launch(container: Container, *, actor: str, run: int) -> None:
    """Run purge ``run`` in a daemon thread, with an engine that waits for locks as the CLI's.

    If the process stops meanwhile, the batch under way rolls back and the status page says the
    run stopped; every committed batch stands, and the next purge finishes the work.
    """
    engine = make_engine(container.engine.url.render_as_string(hide_password=False))
    job = purges.Purge(
        engine=engine,
        policy=container.policy,
        clock=container.clock,
        lookup=container.lookup,
        portal_url=container.settings.public_url.rstrip("/") + "/",
        blobs=container.blobs,
    )

    def work() -> None:
        try:
            purges.purge(
                job,
                actor=actor,
                run=run,
                batch_size=CLI_MAX_BATCH,
                batch_seconds=CLI_BATCH_SECONDS,
            )
        except Exception as error:  # recorded, then the thread ends; the page says it failed
            log.exception("purge %d failed", run)
            try:
                purges.record_failure(job, actor=actor, run=run, error=error)
            except Exception:
                log.exception("purge %d: its failure could not be recorded", run)
        finally:
            engine.dispose()

    threading.Thread(target=work, name=f"gardien-purge-{run}", daemon=True).start()


# -- a run's status and report -----------------------------------------------------------------


def _run_get(lang: str) -> Handler:
    def page(request: Request, run: str) -> Response:
        require(request, "dpo")
        container, pages, context = page_base(request)
        status = (
            purges.run_status(UnitOfWork(container.engine), int(run), now=container.clock.now())
            if run.isdigit() and len(run) < 12
            else None
        )
        if status is None:
            raise NotFoundError(f"no purge {run}")
        rules = list(dict.fromkeys([*container.policy.retention, *status.expected, *status.done]))
        return pages.render(
            request,
            "console_purge_run.html",
            lang,
            {
                **context,
                **_common(request, lang),
                "status": status,
                "states": {key: translate(request, lang, text) for key, text in STATES.items()},
                "rules": rules,
                "policy_rules": container.policy.retention,
                "running": status.state == "running",
                # The reload can be turned off (WCAG 2.2.1): the same page, reloaded by hand.
                "decimal": partial(format_decimal, format="0.0", locale=lang),
                # Reloading by itself is the person's choice (``?auto=on``), never the default:
                # a page that changes under the reader fails WCAG 2.2.1 unless they asked for it.
                "refresh": REFRESH_SECONDS
                if status.state == "running" and request.query_params.get("auto") == "on"
                else None,
                "every": REFRESH_SECONDS,
                "run_url": _run_url(lang, status.run),
            },
        )

    return page


for _lang, _prefix in PREFIXES.items():
    _routes: list[tuple[str, Handler, str]] = [
        ("/console/purges", _purges_get(_lang), "GET"),
        ("/console/purges", _start_post(_lang), "POST"),
        ("/console/purges/preview", _preview_get(_lang), "GET"),
        ("/console/purges/runs/{run}", _run_get(_lang), "GET"),
    ]
    for _path, _handler, _method in _routes:
        router.add_api_route(
            f"{_prefix}{_path}", _handler, methods=[_method], include_in_schema=False
        )

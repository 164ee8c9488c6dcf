"""Prometheus metrics at ``/metrics``, and one log line per request.

Two kinds of figures (docs/observability.md lists them):

* **Requests**, counted as they are answered by :class:`RequestMetricsMiddleware`: a histogram
  of durations labelled by method, route template (``/requests/status/{token}``, never the
  path, which may hold a reference or a token) and status class (``2xx``...). With
  ``gardien serve --workers N`` each worker counts its own: ``PROMETHEUS_MULTIPROC_DIR`` (set by
  ``gardien serve``) makes prometheus_client write them to files there, and whichever worker
  answers ``/metrics`` adds all of them up.
* **The database's figures** (outbox, sweep, audit check, requests, readiness), read when
  Prometheus asks by :class:`DatabaseCollector` (services/operations.py): never stale, and
  nothing to keep in step between workers.

Counts and durations only, never anything about a person. Reading them still tells how busy
the organisation is: with ``GARDIEN_METRICS_TOKEN`` set, only a Bearer of it may; without it,
``/metrics`` is open outside production and answers 404 in production.
"""

from __future__ import annotations

import hmac
import logging
import math
import os
from collections.abc import Iterator, Sequence
from time import perf_counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gardien.bootstrap import Container
from gardien.domain.vocabulary import REQUEST_KINDS
from gardien.services.operations import read_figures
from gardien.services.ready import not_ready
from gardien.settings import Environment
from gardien.store.uow import UnitOfWork
from gardien.web.deps import ContainerDep

log = logging.getLogger(__name__)
request_log = logging.getLogger("gardien.request")
router = APIRouter()

PATH = "/metrics"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# From a 5 ms page served from memory to a 10 s export; above, +Inf.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Other methods are counted as OTHER: a client must not be able to add series at will.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # no route: an unknown address (404), counted under one label


class Metrics:
    """An app's metrics: the request histogram, and the registry ``/metrics`` answers from."""

    def __init__(self, container: Container) -> None:
        self.registry = CollectorRegistry()
        multiprocess = bool(os.environ.get(MULTIPROCESS_DIR))
        if multiprocess:
            # Every worker's histogram, from the files of the directory.
            MultiProcessCollector(self.registry)  # type: ignore[no-untyped-call]
        self.requests = Histogram(
            "gardien_http_request_duration_seconds",
            "Time to answer a request, by method, route template and status class.",
            ["method", "route", "status_class"],
            buckets=BUCKETS,
            # In multiprocess mode the values go to the directory, read back by the collector.
            registry=None if multiprocess else self.registry,
        )
        self.registry.register(DatabaseCollector(container))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(method, route, f"{status // 100}xx").observe(seconds)


def route_template(scope: Scope, routes: Sequence[BaseRoute] = ()) -> str:
    """The template of the route that answered (``/console/requests/{reference}``).

    The router names it in the scope; an answer given before routing (a writer told the
    server is busy, web/write_turns.py) is matched here against ``routes``.
    """
    route = scope.get("route")
    if route is None:
        route = next((r for r in _flat(routes) if r.matches(scope)[0] is not Match.NONE), None)
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


def _flat(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    """The routes, through the routers FastAPI keeps as included objects (all without a
    prefix in gardien, so their routes match the path as it is)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flat(inner.routes)
        else:
            yield route


class RequestMetricsMiddleware:
    """Counts every HTTP request in the histogram and writes its log line (``gardien.request``:
    method, route template, status, duration; no address, no query string, no path)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes  # the app's, for answers given before routing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500  # what the client gets if the app fails before answering

        async def answered(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, answered)
        finally:
            seconds = perf_counter() - started
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            route = route_template(scope, self.routes)
            self.metrics.observe(method, route, status, seconds)
            request_log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _age(now: Any, then: Any) -> float:
    """Seconds from ``then`` to ``now``; +Inf for something that never happened (so an alert
    on "longer ago than" fires for it too)."""
    return math.inf if then is None else max((now - then).total_seconds(), 0.0)


class DatabaseCollector(Collector):
    """The database's figures, read at each scrape (services/operations.py)."""

    def __init__(self, container: Container) -> None:
        self.container = container

    def collect(self) -> Iterator[Metric]:
        engine = self.container.engine
        reasons = not_ready(engine, self.container.readiness_checks)
        yield _gauge(
            "gardien_ready", "1 when /ready would answer 200, else 0.", 0.0 if reasons else 1.0
        )
        if reasons:
            return  # the figures need a database at the schema's head
        clock = self.container.clock
        try:
            figures = read_figures(UnitOfWork(engine), today=clock.today())
        except SQLAlchemyError as error:
            why = type(error).__name__
            log.warning("metrics: the database's figures could not be read (%s)", why)
            return
        now = clock.now()
        outbox = figures.outbox
        yield _gauge(
            "gardien_outbox_messages_waiting",
            "E-mails in the outbox not sent yet and still to be tried.",
            outbox.waiting,
        )
        yield _gauge(
            "gardien_outbox_oldest_waiting_age_seconds",
            "Age of the oldest e-mail still to be sent (0 when none waits).",
            0.0 if outbox.oldest_waiting is None else _age(now, outbox.oldest_waiting),
        )
        yield _gauge(
            "gardien_outbox_messages_given_up",
            "E-mails refused for good or out of attempts, kept until the outbox rule purges them.",
            outbox.given_up,
        )
        sweep = figures.last_sweep
        yield _gauge(
            "gardien_sweep_last_success_age_seconds",
            "Seconds since the last complete sweep (gardien sweep or the console); +Inf: never.",
            _age(now, None if sweep is None else sweep.finished_at),
        )
        yield _gauge(
            "gardien_sweep_last_failure_age_seconds",
            "Seconds since a purge last stopped on an error; +Inf: never.",
            _age(now, figures.last_sweep_failure),
        )
        yield _gauge(
            "gardien_sweep_last_duration_seconds",
            "How long the last complete sweep took.",
            0.0 if sweep is None else sweep.seconds,
        )
        purged = GaugeMetricFamily(
            "gardien_sweep_last_records",
            "Records deleted or anonymised by the last complete sweep, by retention rule.",
            labels=["rule"],
        )
        for rule, records in sorted((sweep.records if sweep else {}).items()):
            purged.add_metric([rule], records)
        yield purged
        yield _gauge(
            "gardien_audit_last_check_age_seconds",
            "Seconds since the audit chain was last verified intact"
            " (gardien audit verify --record); +Inf: never.",
            _age(now, figures.last_audit_check),
        )
        yield _gauge(
            "gardien_audit_entries",
            "Entries ever appended to the audit log.",
            figures.audit_entries,
        )
        open_requests = GaugeMetricFamily(
            "gardien_subject_requests_open",
            "Data-subject requests not answered yet, by kind.",
            labels=["kind"],
        )
        overdue = GaugeMetricFamily(
            "gardien_subject_requests_overdue",
            "Data-subject requests still open after their due day, by kind.",
            labels=["kind"],
        )
        for kind in REQUEST_KINDS:
            open_requests.add_metric([kind], figures.open_requests[kind])
            overdue.add_metric([kind], figures.overdue_requests[kind])
        yield open_requests
        yield overdue


def _allowed(request: Request, container: Container) -> bool | None:
    """True: may read; False: a token is needed and was not given; None: /metrics is off."""
    token = container.settings.metrics_token
    if token is None:
        return None if container.settings.environment is Environment.PRODUCTION else True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)


@router.get(PATH, include_in_schema=False)
def metrics(request: Request, container: ContainerDep) -> Response:
    """The figures in Prometheus's text format."""
    allowed = _allowed(request, container)
    if allowed is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    if not allowed:
        return JSONResponse(
            {"error": "authentication required: Authorization: Bearer <GARDIEN_METRICS_TOKEN>"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    registry: CollectorRegistry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

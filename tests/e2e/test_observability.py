"""Observability over real HTTP, against running servers: ``/metrics`` counts real requests
under their route templates and reads real figures from the database; ``/ready`` turns 503
when the schema falls behind under a running server; every line a server writes with JSON logs
is one JSON object; several workers add up their counts.

The figures come from what people and the nightly jobs do: a request filed through the public
form and confirmed from its e-mail (loopback SMTP), a newsletter subscription left unsent,
``gardien outbox send``, ``gardien sweep`` and ``gardien audit verify --record``. The servers
live on fixed clocks (``GARDIEN_NOW``), so ages and overdue counts are exact.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from alembic import command
from prometheus_client.parser import text_string_to_metric_families

from gardien.store.engine import make_engine
from gardien.store.migrate import alembic_config, upgrade
from tests.support.server import free_port, running_server
from tests.support.smtp import smtp_server
from tests.support.web import csrf_of, form_post

pytestmark = pytest.mark.e2e

FILED = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # a Monday: the request is due 1 July 2026
LATER = datetime(2026, 7, 15, 10, 0, tzinfo=UTC)  # two weeks past the due day
VISITOR = "noe.suivi@example.org"
SUBSCRIBER = "lea.lettre@example.org"
TOKEN = "kR2pX7wQ9mZ4vB8nC3tY6hJ1sD5fG0aLqWeRtYuIoPa"
HISTOGRAM = "gardien_http_request_duration_seconds"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a /metrics answer: (name, labels) -> value."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found[(name, frozenset(labels.items()))]


def requests_counted(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], method: str, route: str, status: str
) -> float:
    key = (
        f"{HISTOGRAM}_count",
        frozenset({"method": method, "route": route, "status_class": status}.items()),
    )
    return found.get(key, 0.0)


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "gardien", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done


def json_lines(text: str) -> list[dict[str, object]]:
    """Every line of ``text`` as a JSON object (fails on the first that is not one)."""
    parsed = []
    for line in text.splitlines():
        item = json.loads(line)
        assert isinstance(item, dict) and {"time", "level", "logger", "message"} <= set(item), line
        parsed.append(item)
    return parsed


def test_metrics_count_requests_by_route_and_read_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'observed.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    port = free_port()
    log = tmp_path / "server.log"
    with smtp_server() as smtp:
        env = {
            "GARDIEN_DATABASE_URL": url,
            "GARDIEN_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "GARDIEN_SMTP_HOST": "127.0.0.1",
            "GARDIEN_SMTP_PORT": str(smtp.port),
            "GARDIEN_NOW": FILED.isoformat(),
            "GARDIEN_LOG_FORMAT": "json",
        }
        with running_server(env, port=port, log=log) as base:
            first = samples(httpx.get(f"{base}/metrics").text)
            assert value(first, "gardien_ready") == 1.0
            assert value(first, "gardien_outbox_messages_waiting") == 0.0
            assert value(first, "gardien_sweep_last_success_age_seconds") == float("inf")

            # A request filed through the public form: its confirmation e-mail waits.
            with httpx.Client(base_url=base) as visitor:
                form = visitor.get("/requests").text
                sent = visitor.post(
                    "/requests", data={"email": VISITOR, "kind": "access", "csrf": csrf_of(form)}
                )
                assert sent.status_code == 200
            assert httpx.get(f"{base}/requests/status/DSR-NOT-A-TOKEN").status_code >= 400
            assert httpx.get(f"{base}/no/such/page?email={VISITOR}").status_code == 404
            waiting = samples(httpx.get(f"{base}/metrics").text)
            assert value(waiting, "gardien_outbox_messages_waiting") == 1.0
            assert (
                value(waiting, "gardien_outbox_oldest_waiting_age_seconds") == 0.0
            )  # same instant

            # The sender runs; the link in the e-mail files the request.
            cli(env, "outbox", "send")
            [mail] = [m for m in smtp.messages if VISITOR in str(m["To"])]
            body = mail.get_body(("plain",))
            assert body is not None
            [link] = re.findall(r"http://127\.0\.0\.1:\d+/requests/verify/\S+", body.get_content())
            with httpx.Client() as visitor:
                page = visitor.get(link).text
                filed = visitor.post(
                    link, data={"email": VISITOR, "details": "", "csrf": csrf_of(page)}
                )
                assert filed.status_code == 200
            # A subscription whose confirmation is never sent: it will wait.
            subscribed = form_post(
                f"{base}/newsletter", {"email": SUBSCRIBER, "consent": "yes", "website": ""}
            )
            assert subscribed.status_code == 200
            # The nightly jobs.
            cli(env, "sweep")
            cli(env, "audit", "verify", "--record")
            answer = httpx.get(f"{base}/metrics")
        after = samples(answer.text)
        # Requests under their route templates: never the reference, the token or the query.
        assert requests_counted(after, "GET", "/requests", "2xx") == 1.0
        assert requests_counted(after, "POST", "/requests", "2xx") == 1.0
        assert requests_counted(after, "GET", "/requests/verify/{token}", "2xx") == 1.0
        assert requests_counted(after, "POST", "/requests/verify/{token}", "2xx") == 1.0
        assert requests_counted(after, "GET", "/requests/status/{token}", "4xx") == 1.0
        assert requests_counted(after, "GET", "unmatched", "4xx") == 1.0
        assert requests_counted(after, "GET", "/metrics", "2xx") == 2.0  # this one is not yet in
        token = link.rsplit("/", 1)[1]
        for secret in ("DSR-NOT-A-TOKEN", "no/such/page", token, VISITOR, "example.org"):
            assert secret not in answer.text
        # The request's acknowledgement and the subscription's confirmation, both unsent.
        assert value(after, "gardien_outbox_messages_waiting") == 2.0
        assert value(after, "gardien_subject_requests_open", kind="access") == 1.0
        assert value(after, "gardien_subject_requests_overdue", kind="access") == 0.0
        assert value(after, "gardien_sweep_last_success_age_seconds") == 0.0
        assert value(after, "gardien_audit_last_check_age_seconds") == 0.0
        assert value(after, "gardien_audit_entries") > 0
        # Every line the server wrote is one JSON object, one per request among them.
        lines = json_lines(log.read_text(encoding="utf-8"))
        routes = [line["route"] for line in lines if line["logger"] == "gardien.request"]
        assert "/requests/verify/{token}" in routes and "unmatched" in routes

        # Six weeks later, the request is overdue and the e-mails still wait.
        later = {**env, "GARDIEN_NOW": LATER.isoformat(), "GARDIEN_METRICS_TOKEN": TOKEN}
        with running_server(later) as base:
            assert httpx.get(f"{base}/metrics").status_code == 401
            answer = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200
        late = samples(answer.text)
        six_weeks = (LATER - FILED).total_seconds()
        assert value(late, "gardien_subject_requests_overdue", kind="access") == 1.0
        assert value(late, "gardien_subject_requests_overdue", kind="erasure") == 0.0
        assert value(late, "gardien_outbox_oldest_waiting_age_seconds") == six_weeks
        assert value(late, "gardien_sweep_last_success_age_seconds") == six_weeks
        assert value(late, "gardien_audit_last_check_age_seconds") == six_weeks


def test_ready_turns_503_when_the_schema_falls_behind_a_running_server(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'behind.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    log = tmp_path / "server.log"
    try:
        with running_server(
            {"GARDIEN_DATABASE_URL": url, "GARDIEN_LOG_FORMAT": "json"}, log=log
        ) as base:
            assert httpx.get(f"{base}/ready").json() == {"status": "ready"}
            command.downgrade(alembic_config(engine), "0015")
            behind = httpx.get(f"{base}/ready")
            health = httpx.get(f"{base}/health")
            metrics = httpx.get(f"{base}/metrics").text
    finally:
        engine.dispose()
    assert behind.status_code == 503
    [reason] = behind.json()["reasons"]
    assert reason["check"] == "schema"
    assert reason["detail"].startswith("the database is at revision 0015, not at ")
    assert health.status_code == 200  # alive: restarting it would not help
    assert "gardien_ready 0.0" in metrics
    assert json_lines(log.read_text(encoding="utf-8"))


def test_several_workers_add_up_their_counts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'workers.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    log = tmp_path / "server.log"
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_LOG_FORMAT": "json"}
    with running_server(env, args=["--workers", "2"], timeout=120, log=log) as base:
        # New connections each time, so the kernel spreads them over both workers.
        for _ in range(30):
            assert httpx.get(f"{base}/confidentialite").status_code == 200
        found = samples(httpx.get(f"{base}/metrics").text)
    assert requests_counted(found, "GET", "/confidentialite", "2xx") == 30.0
    lines = json_lines(log.read_text(encoding="utf-8"))
    started = [line for line in lines if str(line["message"]).startswith("Started server process")]
    assert len(started) == 2

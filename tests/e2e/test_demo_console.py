"""`make demo`, then the DPO's console: requests in every state and a past purge on first sight.

The demo is loaded by the command `make demo` runs (``gardien demo-data``, its activity sent
through the LRS), then the console is read over HTTP by a DPO, as of the demo's day.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from gardien.store.engine import make_engine
from gardien.store.tables import subject_request
from tests.support.server import running_server
from tests.support.web import WebClient, make_account

pytestmark = pytest.mark.e2e

TODAY = date(2026, 6, 1)
NOW = datetime.combine(TODAY, time(9, 0), tzinfo=UTC)
DPO = "dominique.console@example.org"


def test_the_demo_shows_the_dpo_requests_in_every_state_and_a_past_purge(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    env = {"GARDIEN_DATABASE_URL": url, "GARDIEN_ENVIRONMENT": "development"}
    loaded = subprocess.run(
        [sys.executable, "-m", "gardien", "db", "upgrade"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr
    demo = ["demo-data", "--learners", "60", "--seed", "1", "--as-of", TODAY.isoformat()]
    loaded = subprocess.run(
        [sys.executable, "-m", "gardien", *demo],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "past: requests" in loaded.stdout

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(
                    subject_request.c.reference, subject_request.c.status, subject_request.c.due_on
                )
            ).all()
        make_account(engine, email=DPO, role="dpo", created_at=NOW)
    finally:
        engine.dispose()
    statuses = {row.status for row in rows}
    assert {"open", "extended", "completed", "refused"} <= statuses
    overdue = [row.reference for row in rows if row.status == "open" and row.due_on < TODAY]
    on_time = [row.reference for row in rows if row.status == "open" and row.due_on >= TODAY]
    extended = [row.reference for row in rows if row.status == "extended"]
    assert overdue and on_time and extended

    with running_server({**env, "GARDIEN_NOW": NOW.isoformat()}) as base:
        web = WebClient.open(base)
        try:
            web.sign_in(DPO, at=NOW)
            console = web.get("/console")
            assert console.status_code == 200
            page = console.text
            # Every open request is listed; the overdue one says so.
            for reference in [*overdue, *on_time, *extended]:
                assert f'data-reference="{reference}"' in page, reference
            for reference in overdue:
                assert f'<tr class="overdue" data-reference="{reference}"' in page, reference
            # The purge a month ago, with what it removed.
            purged_on = (TODAY - timedelta(days=30)).strftime("%d/%m/%Y")
            assert purged_on in page.split('id="sweeps"', 1)[1]
        finally:
            web.close()

"""The alert rules (deploy/prometheus/alerts.yml): Prometheus's own checker accepts them, its
rule tests (alerts.test.yml) pass, and every metric they name is in a real ``/metrics`` answer
of a running server, so no alert waits forever on a series that does not exist.

promtool comes from Debian's ``prometheus`` package (``apt-get install prometheus``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from tests.support.server import running_server

pytestmark = pytest.mark.e2e

RULES = Path(__file__).parents[2] / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = RULES.with_name("alerts.test.yml")
SCRAPE = RULES.with_name("prometheus.yml")
# Names in PromQL that are not gardien's metrics: Prometheus's own series, functions, keywords.
NOT_METRICS = {"up"}


def promtool(*args: str) -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: apt-get install prometheus"
    done = subprocess.run([found, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_promtool_accepts_the_rules_and_their_tests_pass() -> None:
    assert "SUCCESS: 10 rules found" in promtool("check", "rules", str(RULES))
    assert "SUCCESS" in promtool("test", "rules", str(RULE_TESTS))
    # The example scrape configuration (its token file exists on the Prometheus host only).
    assert "SUCCESS" in promtool("check", "config", "--syntax-only", str(SCRAPE))


def metric_names_in_rules() -> set[str]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    names: set[str] = set()
    for group in document["groups"]:
        for rule in group["rules"]:
            names |= set(re.findall(r"\b(gardien_[a-z_]+|up)\b", rule["expr"]))
    return names - NOT_METRICS


def test_every_metric_the_rules_name_is_in_a_real_answer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rules.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with running_server({"GARDIEN_DATABASE_URL": url}) as base:
        httpx.get(f"{base}/")  # one request at least, for the histogram's series
        answer = httpx.get(f"{base}/metrics").text
    served = {
        sample.name
        for family in text_string_to_metric_families(answer)
        for sample in family.samples
    }
    named = metric_names_in_rules()
    assert len(named) >= 9  # the parse found the rules' metrics, not nothing
    # The histogram is named by its series (``_bucket``, ``_count``), as the answer has them.
    missing = named - served
    assert not missing, f"named by the alert rules, absent from /metrics: {sorted(missing)}"

"""``gardien check-config`` on the observability settings: the metrics token is judged like
every secret (and never shown), the log format is said with its level."""

from __future__ import annotations

from pydantic import SecretStr

from gardien.readiness import Status, production_requirements
from gardien.settings import Environment, LogFormat, Settings

STRONG = "kR2pX7wQ9mZ4vB8nC3tY6hJ1sD5fG0aLqWeRtYuIoPa"


def _row(settings: Settings, variable: str) -> tuple[Status, str, dict[str, object]]:
    [found] = [r for r in production_requirements(settings) if r.variable == variable]
    return (
        found.status,
        found.detail % found.values if found.values else found.detail,
        dict(found.values),
    )


def test_the_metrics_token() -> None:
    production = Settings(environment=Environment.PRODUCTION)
    status, detail, _ = _row(production, "GARDIEN_METRICS_TOKEN")
    assert status is Status.NOTE and "/metrics answers 404" in detail
    strong = production.model_copy(update={"metrics_token": SecretStr(STRONG)})
    assert _row(strong, "GARDIEN_METRICS_TOKEN")[0] is Status.MET
    weak = production.model_copy(update={"metrics_token": SecretStr("prometheus")})
    status, detail, values = _row(weak, "GARDIEN_METRICS_TOKEN")
    assert status is Status.MISSING
    assert "prometheus" not in detail and "prometheus" not in str(values)


def test_the_log_format() -> None:
    production = Settings(environment=Environment.PRODUCTION)
    assert _row(production, "GARDIEN_LOG_FORMAT")[:2] == (Status.MET, "JSON lines, at level INFO")
    text = production.model_copy(update={"log_format": LogFormat.TEXT})
    status, detail, _ = _row(text, "GARDIEN_LOG_FORMAT")
    assert status is Status.NOTE and detail.startswith("plain text lines, at level INFO")

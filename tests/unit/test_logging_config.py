"""The log lines: one JSON object each (or a plain line), the request's fields, and the nets
under the rule that nothing logged names a person (addresses redacted, exception messages left
out)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from gardien.logging_config import JsonFormatter, TextFormatter, logging_dict
from gardien.settings import LogFormat, LogLevel, Settings


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("gardien.test", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_a_json_line_holds_time_level_logger_message_and_the_request_fields() -> None:
    record = _record(
        "request", method="GET", route="/requests/status/{token}", status=404, duration_ms=3.2
    )
    record.__dict__["client"] = "203.0.113.7"  # anything else on the record stays out
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed.pop("time").endswith("+00:00")
    assert parsed == {
        "level": "WARNING",
        "logger": "gardien.test",
        "message": "request",
        "method": "GET",
        "route": "/requests/status/{token}",
        "status": 404,
        "duration_ms": 3.2,
    }


def test_an_address_in_a_message_is_redacted() -> None:
    record = _record("refused <%s>: mailbox full, and %s", "chloe.plan@example.org", "x@y.example")
    parsed = json.loads(JsonFormatter().format(record))
    assert parsed["message"] == "refused <[address]>: mailbox full, and [address]"
    assert "@" not in TextFormatter().format(record)


def test_an_exception_is_its_type_and_stack_never_its_message() -> None:
    try:
        raise ValueError("duplicate key: (email)=(chloe.plan@example.org), name Chloé Planchet")
    except ValueError:
        record = logging.LogRecord(
            "gardien.test", logging.ERROR, __file__, 1, "failed", (), exc_info=True
        )
        import sys

        record.exc_info = sys.exc_info()
    parsed = json.loads(JsonFormatter().format(record))
    assert parsed["exception"] == "ValueError"
    assert any("test_logging_config.py" in frame for frame in parsed["stack"])
    for formatted in (json.dumps(parsed), TextFormatter().format(record)):
        assert "Chloé" not in formatted and "chloe" not in formatted


def test_a_text_line_reads_as_a_sentence() -> None:
    line = TextFormatter().format(_record("request", method="POST", route="/contact", status=200))
    assert line.endswith("WARNING gardien.test: request method=POST route=/contact status=200")


@pytest.mark.parametrize(
    ("environment", "given", "expected"),
    [
        ("production", None, LogFormat.JSON),
        ("development", None, LogFormat.TEXT),
        ("test", None, LogFormat.TEXT),
        ("development", "JSON", LogFormat.JSON),
        ("production", "text", LogFormat.TEXT),
    ],
)
def test_json_in_production_unless_told(
    environment: str, given: str | None, expected: LogFormat
) -> None:
    values: dict[str, object] = {"environment": environment}
    if given is not None:
        values["log_format"] = given
    assert Settings(**values).logs_as is expected  # type: ignore[arg-type]


def test_the_level_reads_in_any_case() -> None:
    assert Settings(log_level="debug").log_level is LogLevel.DEBUG  # type: ignore[arg-type]


def test_the_dict_config_sends_uvicorn_and_gardien_through_the_formatter() -> None:
    config = logging_dict(LogFormat.JSON, LogLevel.INFO)
    stream = io.StringIO()
    config["handlers"]["stderr"]["stream"] = stream
    saved = logging.root.handlers[:], logging.root.level
    try:
        logging.config.dictConfig(config)
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
        logging.getLogger("gardien.cli.serve").debug("not at INFO")
        logging.getLogger("uvicorn.access").critical("127.0.0.1 GET /x")
    finally:
        for name in ("gardien", "uvicorn", "uvicorn.error", "uvicorn.access"):
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
            logger.setLevel(logging.NOTSET)
        logging.root.handlers[:], level = saved
        logging.root.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("uvicorn.error", "Started server process [42]")
    ]

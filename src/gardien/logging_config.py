"""How gardien logs: one JSON object per line (production) or plain lines, never personal data.

:func:`logging_dict` is one ``logging.config.dictConfig`` dictionary for the whole process:
gardien's loggers, uvicorn's (``gardien serve`` hands it to uvicorn as ``log_config``, so every
worker process of ``--workers N`` applies it too) and, at WARNING, every other library's.
:func:`configure` applies it (the command line does, before any command runs).

A JSON line holds ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` and, for a
request (``gardien.request``, written by :mod:`gardien.web.metrics`), ``method``, ``route``
(the route's template, never the path: a path may hold a reference or a token), ``status`` and
``duration_ms``. Nothing else of a record is copied: no client address, no query string.

Two nets under the rule that no log call names a person (docs/observability.md):

* anything shaped like an e-mail address in a message is replaced by ``[address]``;
* an exception is written as its type and its stack (file, line, function), never its message:
  a database error's message quotes the parameters of the statement, which may be a name.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from gardien.settings import LogFormat, LogLevel

# The fields a request's line carries (web/metrics.py passes them as ``extra``).
REQUEST_FIELDS = ("method", "route", "status", "duration_ms")
# Anything shaped like local@domain (the same shape store/outbox.py redacts from SMTP errors).
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"'=]+@[^\s<>()\[\],;:\"']+")
REDACTED = "[address]"
# Loggers written at GARDIEN_LOG_LEVEL; every other library's at WARNING (their DEBUG lines
# are not written for the operator and were not read for personal data).
OWN_LOGGERS = ("gardien", "uvicorn", "uvicorn.error")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str) -> str:
    """``text`` with every address-shaped word replaced by :data:`REDACTED`."""
    return _ADDRESS.sub(REDACTED, text)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in REQUEST_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            kind, _error, stack = record.exc_info
            line["exception"] = kind.__name__
            # Frames only: the message of the exception may quote personal data.
            line["stack"] = _frames(stack)
        if record.stack_info:
            line["stack_info"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Plain lines for a terminal, with the same nets as the JSON lines."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        record.asctime = self.formatTime(record)
        text = redact(self.formatMessage(record))
        for name in REQUEST_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                text += f" {name}={value}"
        if record.exc_info and record.exc_info[0] is not None:
            kind, _error, stack = record.exc_info
            frames = "\n  ".join(_frames(stack))
            text += f"\n{kind.__name__} (message left out of the log)\n  {frames}"
        return text


def _frames(stack: TracebackType | None) -> list[str]:
    """Where the exception went through: file, line and function of each frame (no source
    text, no local values)."""
    return [
        f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(stack)
    ]


def logging_dict(log_format: LogFormat, level: LogLevel) -> dict[str, Any]:
    """The ``dictConfig`` of a gardien process: everything to stderr in ``log_format``."""
    formatter = JsonFormatter if log_format is LogFormat.JSON else TextFormatter
    own = {"level": level.value, "handlers": ["stderr"], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"gardien": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "gardien",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            **{name: dict(own) for name in OWN_LOGGERS},
            # The access log would record client addresses: it stays off (access_log=False),
            # and is silenced here too should someone turn it on.
            "uvicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
        "root": {"level": "WARNING", "handlers": ["stderr"]},
    }


def configure(log_format: LogFormat, level: LogLevel) -> None:
    """Apply :func:`logging_dict` to this process."""
    logging.config.dictConfig(logging_dict(log_format, level))

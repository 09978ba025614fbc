"""Logging set-up: ``log_format = "json"`` (one JSON object per line) or ``"text"``.

One access line per request comes from ``gateway.observe`` (uvicorn's own access log is off):
time, level, request id, dialect, route template, method, status, duration_ms, box office id
and key id. Never a secret, a full key or a buyer's email: the access line carries ids only,
and messages elsewhere name objects by id. An error record carries the request id and its
traceback in the same JSON object.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

ACCESS = "ticketgate.access"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# uvicorn's loggers log through the root handler, in the same format as ours
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error")


class Formatter(JsonFormatter):
    """Records as ``{"time", "level", "logger", "message", ...extra fields}``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s",
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         datefmt="%Y-%m-%dT%H:%M:%S%z", json_ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The text format, with an access record's fields appended as ``name=value``."""

    FIELDS = ("request_id", "dialect", "route", "method", "status", "duration_ms", "box_office_id", "key_id")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = " ".join(f"{name}={getattr(record, name)}" for name in self.FIELDS
                         if getattr(record, name, None) is not None)
        return f"{line} {extra}" if extra else line


def configure(level: str, log_format: str) -> None:
    """Root handler on stderr in the chosen format; uvicorn's loggers propagate to it."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(Formatter() if log_format == "json" else TextFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's dictConfig: leave the root logger as ``configure`` set it (no handlers of its own)."""
    return {"version": 1, "disable_existing_loggers": False}

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
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from dialects.refusals import unavailable

ACCESS = "ticketgate.access"
# the request being served (set by gateway.observe): every record logged while it runs carries its
# id, so a dialect's "unexpected error" record is found by the id the client was given
REQUEST_ID: ContextVar[str | None] = ContextVar("ticketgate_request_id", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# uvicorn's loggers log through the root handler, in the same format as ours
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error")


class Formatter(JsonFormatter):
    """Records as ``{"time", "level", "logger", "message", ...extra fields}``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s",
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         datefmt="%Y-%m-%dT%H:%M:%S%z", json_ensure_ascii=False,
                         # uvicorn repeats its messages with terminal colours: not for a log store
                         reserved_attrs=[*RESERVED_ATTRS, "color_message"])


class TextFormatter(logging.Formatter):
    """The text format, with an access record's fields appended as ``name=value``."""

    FIELDS = ("request_id", "dialect", "route", "method", "status", "duration_ms", "box_office_id", "key_id")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = " ".join(f"{name}={getattr(record, name)}" for name in self.FIELDS
                         if getattr(record, name, None) is not None)
        return f"{line} {extra}" if extra else line


def with_request_id(record: logging.LogRecord) -> bool:
    """A handler filter: the current request's id on a record that does not name one itself."""
    if getattr(record, "request_id", None) is None:
        rid = REQUEST_ID.get()
        if rid is not None:
            record.request_id = rid
    return True


def outage_in_one_line(record: logging.LogRecord) -> bool:
    """A logger filter: asyncpg's pool, failing to reconnect while the database is down, logs the
    outage as one line (what failed, as the dialects' outage lines do), never a traceback."""
    error = record.exc_info[1] if record.exc_info else None
    if error is not None and unavailable(error) is not None:
        record.msg, record.args = f"{record.getMessage()}: {type(error).__name__}", None
        record.exc_info = record.exc_text = None
    return True


def handler(log_format: str) -> logging.Handler:
    """The stderr handler ``configure`` installs (tests format records through it too)."""
    out = logging.StreamHandler(sys.stderr)
    out.setFormatter(Formatter() if log_format == "json" else TextFormatter(TEXT_FORMAT))
    out.addFilter(with_request_id)
    return out


def configure(level: str, log_format: str) -> None:
    """Root handler on stderr in the chosen format; uvicorn's loggers propagate to it."""
    root = logging.getLogger()
    root.handlers[:] = [handler(log_format)]
    root.setLevel(level.upper())
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    pool = logging.getLogger("asyncpg.pool")
    if outage_in_one_line not in pool.filters:
        pool.addFilter(outage_in_one_line)
    # httpx logs every request it sends (each webhook delivery, with its URL) at INFO: the
    # deliveries have their own records (attempts, metrics), so only its warnings are kept
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's dictConfig: leave the root logger as ``configure`` set it (no handlers of its own)."""
    return {"version": 1, "disable_existing_loggers": False}

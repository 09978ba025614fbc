"""The database unavailable or frozen: every dialect and the operator API answer 503 in their own
format with Retry-After, logged as one line (no traceback), and no request hangs."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import Any

import asyncpg
import httpx
import pytest

from gateway.app import build_app

ADMIN = {"authorization": "Bearer test-admin-token-0123456789"}


class DownPool:
    """A pool whose every acquire fails the way an outage does."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def acquire(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error


class FrozenPool:
    """A pool whose acquire never answers (a SIGSTOPped server)."""

    def acquire(self, *args: Any, **kwargs: Any) -> Any:
        return self

    async def __aenter__(self) -> Any:
        await asyncio.Event().wait()

    async def __aexit__(self, *exc: Any) -> None:
        return None


async def _get(app: Any, path: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return await c.get(path, headers=headers)



def _bodies(responses: dict[str, httpx.Response]) -> None:
    ts, tt, eq = responses["ticketsmart"], responses["tickettailor"], responses["equaticket"]
    assert ts.json() == {"error": "Service unavailable", "retryAfter": 2}
    assert tt.json() == {"status": 503, "error_code": "Internal Server Error",
                         "message": "The database is unavailable; retry in 2 s"}
    error = eq.json()["error"]
    assert (error["code"], error["message"]) == ("service_unavailable", "The database is unavailable; retry in 2 s")
    assert error["request_id"] == eq.headers["x-request-id"]
    for response in responses.values():
        assert response.status_code == 503 and response.headers["retry-after"] == "2"


PATHS = {"ticketsmart": "/ticketsmart/api/v1/events", "tickettailor": "/tickettailor/v1/events",
         "equaticket": "/equaticket/api/v1/events"}


@pytest.mark.parametrize("error", [ConnectionRefusedError(111, "Connection refused"), TimeoutError(),
                                   asyncpg.CannotConnectNowError("the database system is starting up"),
                                   asyncpg.AdminShutdownError("terminating connection due to administrator command"),
                                   asyncpg.ConnectionDoesNotExistError("connection was closed in the middle")])
async def test_an_outage_is_each_dialects_503_logged_as_one_line(gateway, dialect_keys, error, caplog):
    app = build_app(dataclasses.replace(gateway, pool=DownPool(error)))
    with caplog.at_level(logging.WARNING):
        responses = {name: await _get(app, PATHS[name], dialect_keys[name]) for name in PATHS}
    _bodies(responses)
    outage_lines = [r for r in caplog.records if "database is unavailable" in r.getMessage()]
    assert len(outage_lines) == 3 and all(r.exc_info is None for r in outage_lines)  # one line each, no traceback


async def test_the_operator_api_answers_503_too(gateway):
    app = build_app(dataclasses.replace(gateway, pool=DownPool(ConnectionRefusedError(111, "refused"))))
    response = await _get(app, "/admin/v1/box-offices", ADMIN)
    assert response.status_code == 503 and response.headers["retry-after"] == "2"
    assert response.json() == {"error": {"code": "service_unavailable",
                                         "message": "The database is unavailable; retry in 2 s"}}


async def test_a_frozen_database_is_a_503_within_the_request_timeout(gateway, dialect_keys):
    settings = gateway.settings.model_copy(update={"request_timeout": 0.3})
    app = build_app(dataclasses.replace(gateway, pool=FrozenPool(), settings=settings))
    started = time.monotonic()
    answers = await asyncio.gather(*(_get(app, PATHS[n], dialect_keys[n]) for n in PATHS))
    responses = dict(zip(PATHS, answers, strict=True))
    assert time.monotonic() - started < 2  # not the frozen server's time: the request's own deadline
    _bodies(responses)


async def test_readiness_is_bounded_as_a_whole(gateway):
    frozen = dataclasses.replace(gateway, pool=FrozenPool())
    started = time.monotonic()
    assert await frozen.ready(timeout=0.2) is False
    assert time.monotonic() - started < 1

"""The dialects' client modules, looked up by name, and HTTP clients that honour rate limits."""

from __future__ import annotations

import importlib
from types import ModuleType

import httpx

from gateway.migration.ratelimit import RateLimitTransport

DIALECTS = ("ticketsmart", "tickettailor", "equaticket")


def client_module(dialect: str) -> ModuleType:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}: expected one of {', '.join(DIALECTS)}")
    return importlib.import_module(f"dialects.{dialect}.client")


def http_client(dialect: str, transport: httpx.AsyncBaseTransport | None = None,
                timeout: float = 30.0) -> httpx.AsyncClient:
    """An AsyncClient that waits out 429s and exhausted windows the way ``dialect`` declares them."""
    limited = RateLimitTransport(transport or httpx.AsyncHTTPTransport(retries=1),
                                 client_module(dialect).RATE_LIMIT_HEADERS)
    return httpx.AsyncClient(transport=limited, timeout=timeout)

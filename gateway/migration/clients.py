"""The dialects' client modules, looked up by name, and HTTP clients that honour rate limits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import ModuleType

import httpx

from dialects import registry
from gateway.migration.ratelimit import RateLimitTransport, Sleep

Transport = Callable[[], httpx.AsyncBaseTransport]  # a fresh inner transport: the network, an ASGI app, a mock


def client_module(dialect: str) -> ModuleType:
    """The registry's client module; an unknown name (a capture's header) is a ValueError the CLI reports."""
    try:
        return registry.client_module(dialect)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None


def network() -> httpx.AsyncBaseTransport:
    return httpx.AsyncHTTPTransport(retries=1)  # retries here are connection retries only


def http_client(dialect: str, transport: Transport = network, *, sleep: Sleep = asyncio.sleep,
                timeout: float = 30.0) -> tuple[httpx.AsyncClient, RateLimitTransport]:
    """An AsyncClient that waits out 429s and exhausted windows the way ``dialect`` declares them."""
    limited = RateLimitTransport(transport(), client_module(dialect).RATE_LIMIT_HEADERS, sleep=sleep)
    return httpx.AsyncClient(transport=limited, timeout=timeout), limited

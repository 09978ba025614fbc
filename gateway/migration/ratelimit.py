"""A transport that honours a vendor's rate limits: 429 + Retry-After, and X-Rate-Limit-* windows.

It wraps any httpx transport (the network, an ASGI app, a respx mock), so the clients stay
plain httpx and the policy is swapped in as an object, not patched in.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx

Sleep = Callable[[float], Awaitable[None]]
MAX_WAIT = 3600.0  # never sleep longer than the longest documented window (Ticket Tailor's hour)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


class RateLimitTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, window_headers: tuple[str, str] | None = None,
                 *, max_retries: int = 8, sleep: Sleep = asyncio.sleep) -> None:
        self.inner = inner
        self.window_headers = window_headers  # (remaining, seconds-until-reset) header names
        self.max_retries = max_retries
        self.sleep = sleep
        self.resume_at = 0.0  # monotonic time before which the window is known to be empty
        self.waits: list[float] = []  # every pause taken, for progress output and tests

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(self.max_retries + 1):
            await self._pause(self.resume_at - time.monotonic())
            response = await self.inner.handle_async_request(request)
            self._note_window(response.headers)
            if response.status_code != 429 or attempt == self.max_retries:
                return response
            await response.aread()
            await response.aclose()
            await self._pause(self._backoff(response.headers, attempt))
        raise AssertionError("unreachable")

    def _note_window(self, headers: httpx.Headers) -> None:
        if self.window_headers is None:
            return
        remaining, reset = (headers.get(name) for name in self.window_headers)
        if remaining is not None and remaining.strip() == "0" and reset and reset.strip().isdigit():
            self.resume_at = time.monotonic() + min(float(reset), MAX_WAIT)

    def _backoff(self, headers: httpx.Headers, attempt: int) -> float:
        wait = retry_after(headers.get("Retry-After"))
        if wait is None and self.window_headers is not None:
            wait = retry_after(headers.get(self.window_headers[1]))
        return min(wait if wait is not None else 2.0 ** attempt, MAX_WAIT)

    async def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self.waits.append(seconds)
            await self.sleep(seconds)

    async def aclose(self) -> None:
        await self.inner.aclose()

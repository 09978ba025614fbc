"""A bounded load of mixed GETs over the three dialects and two serve processes, each answer
classified: 200, the dialect's own 503 (with Retry-After), or anything else (a 500, a hang, a drop)."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from core.models import Scope
from tests import factories
from tests.ops.conftest import connect
from tests.tickettailor.conftest import basic

PATHS = {"ticketsmart": "/ticketsmart/api/v1/events", "tickettailor": "/tickettailor/v1/events",
         "equaticket": "/equaticket/api/v1/events"}


async def seed_keys(dsn: str) -> dict[str, dict[str, str]]:
    """A box office with an event; a live key of each dialect, as each vendor's clients send it."""
    conn = await connect(dsn)
    try:
        office = await factories.box_office(conn)
        await factories.event_with_type(conn, Scope(office["id"], True))
        made = {name: await factories.key(conn, office, name) for name in PATHS}
    finally:
        await conn.close()
    return {"ticketsmart": {"x-api-key": made["ticketsmart"]}, "tickettailor": basic(made["tickettailor"]),
            "equaticket": {"authorization": f"Bearer {made['equaticket']}"}}


def dialects_503(dialect: str, response: httpx.Response) -> bool:
    """The dialect's own 503: its body shape, and Retry-After."""
    wait = response.headers.get("retry-after", "")
    if response.status_code != 503 or not wait.isdigit():
        return False
    body = response.json()
    if dialect == "ticketsmart":
        return bool(body == {"error": "Service unavailable", "retryAfter": int(wait)})
    if dialect == "tickettailor":
        return body.get("status") == 503 and body.get("error_code") == "Internal Server Error" \
            and body.get("message", "").startswith("The ")
    error = body.get("error", {})
    return error.get("code") == "service_unavailable" and error.get("request_id") == response.headers["x-request-id"]


@dataclass
class Answer:
    at: float  # monotonic, when the answer (or the failure) came
    seconds: float
    base: str
    dialect: str
    kind: str  # "200" | "503" (the dialect's own) | "other <status>" | "hang" | "dropped"


@dataclass
class Load:
    bases: list[str]
    keys: dict[str, dict[str, str]]
    timeout: float  # a hang: no answer within this (request_timeout plus a margin)
    answers: list[Answer] = field(default_factory=list)
    stopping: bool = False

    async def worker(self, client: httpx.AsyncClient, targets: Any) -> None:
        while not self.stopping:
            base, dialect = next(targets)
            started = time.monotonic()
            try:
                response = await client.get(base + PATHS[dialect], headers=self.keys[dialect])
                kind = "200" if response.status_code == 200 else \
                    "503" if dialects_503(dialect, response) else f"other {response.status_code}"
            except httpx.TimeoutException:
                kind = "hang"
            except httpx.TransportError:
                kind = "dropped"
            now = time.monotonic()
            self.answers.append(Answer(now, now - started, base, dialect, kind))
            await asyncio.sleep(0.02)

    async def run(self, workers: int) -> None:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            targets = itertools.cycle([(b, d) for b in self.bases for d in PATHS])
            await asyncio.gather(*(self.worker(client, targets) for _ in range(workers)))

    def recovered(self, since: float) -> float | None:
        """Seconds from ``since`` until every process and dialect answered 200 again (None: not yet)."""
        firsts: dict[tuple[str, str], float] = {}
        for a in self.answers:
            if a.at >= since and a.kind == "200":
                firsts.setdefault((a.base, a.dialect), a.at)
        if len(firsts) < len(self.bases) * len(PATHS):
            return None
        return max(firsts.values()) - since

    def between(self, start: float, end: float) -> list[Answer]:
        return [a for a in self.answers if start <= a.at < end]

    def figures(self, since: float = 0.0, until: float = float("inf")) -> dict[str, Any]:
        answers = self.between(since, until)
        kinds = [a.kind for a in answers]
        return {"requests": len(answers), "200": kinds.count("200"), "503": kinds.count("503"),
                "500": kinds.count("other 500"), "other": sum(k not in ("200", "503") for k in kinds),
                "longest_s": round(max((a.seconds for a in answers), default=0.0), 3)}

"""``ticketgate import --follow``: after the first pass, keep importing what changes, until cut-over.

Each follow pass asks the source, resource by resource (events, orders, issued tickets), for
what is new since the last checkpoint:

- where the source dialect's list has a creation-time filter (Ticket Tailor's orders and
  issued tickets: ``created_at.gte``), only the objects created since the checkpoint, minus
  an overlap for clocks that disagree;
- where it has none, the recent pages again (lists come newest first): from the first page on,
  until a page holds only objects imported before. No source documents an updated-since filter
  (Ticket Tailor's lists filter on ``created_at`` only), so changed objects are found this way.

Objects are written through the id map, so seeing one twice updates it. Each pass's start time
becomes the resource's checkpoint (a ``follow:<resource>`` row next to the import's own
checkpoints) once the resource is done: a stopped follow resumes from there, without a new
first pass.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from core.models import Scope
from dialects.client_base import NoEquivalent
from gateway.migration.importer import ORDER, Checkpoint, Importer
from gateway.migration.normalise import RESOURCE_KIND
from gateway.migration.store import Store

SINCE = "created_at.gte"  # the neutral filter asked for
OVERLAP = timedelta(seconds=60)
PAGE = 100
MAX_PAGES = 1000  # a pass never walks more than this per resource


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Status:
    """What the live status line shows: objects per resource since the follow started, and the lag."""

    passes: int = 0
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    lag: float | None = None  # seconds between the last pass's checkpoint and now
    resumed: bool = False

    def line(self) -> str:
        parts = [f"{r} +{self.created.get(r, 0)} new, {self.updated.get(r, 0)} updated" for r in self.created]
        lag = "-" if self.lag is None else f"{self.lag:.1f} s"
        resumed = " (resumed from its checkpoint)" if self.resumed else ""
        return f"follow{resumed}: pass {self.passes} | {' | '.join(parts)} | lag {lag}"

    def as_dict(self) -> dict[str, Any]:
        return {"passes": self.passes, "created": self.created, "updated": self.updated, "lag_seconds": self.lag,
                "resumed": self.resumed}


class Follower:
    def __init__(self, importer: Importer, box_office: str, livemode: bool = True, *,
                 show: Callable[[Status], None] = lambda status: None, now: Callable[[], datetime] = utc_now,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.importer = importer
        self.module = importer.module
        self.box_office, self.livemode = box_office, livemode
        self.show, self.now, self.sleep = show, now, sleep
        self.status = Status(created={r: 0 for r in ORDER if r in self.module.IMPORTS},
                             updated={r: 0 for r in ORDER if r in self.module.IMPORTS})

    async def run(self, interval: float, passes: int | None = None) -> Status:
        """The first pass (unless a follow checkpoint exists), then a pass every ``interval`` seconds."""
        async with self.importer.locked(self.box_office) as office:
            scope = Scope(office["id"], self.livemode)
            marks = await self._marks(scope)
            self.status.resumed = bool(marks)
        if not marks:
            started = self.now()
            await self.importer.run(self.box_office, self.livemode)  # resumes an interrupted first pass
            marks = {r: started for r in self.status.created}
            async with self.importer.locked(self.box_office):
                for resource, mark in marks.items():
                    await self._mark(scope, resource, mark, 0)
        while passes is None or self.status.passes < passes:
            await self.once(scope, office["currency"], marks)
            if passes is None or self.status.passes < passes:
                await self.sleep(interval)
        return self.status

    async def once(self, scope: Scope, currency: str, marks: dict[str, datetime]) -> None:
        async with self.importer.locked(self.box_office):
            store = Store(self.importer.conn, scope, self.module.DIALECT, currency)
            for resource in self.status.created:
                started = self.now()
                before = store.tally.created, store.tally.updated
                objects = await self._changed(store, resource, marks[resource] - OVERLAP)
                self.status.created[resource] += store.tally.created - before[0]
                self.status.updated[resource] += store.tally.updated - before[1]
                marks[resource] = started
                await self._mark(scope, resource, started, objects)
            await store.reconcile_stock("tickets" in self.module.IMPORTS)
        self.status.passes += 1
        self.status.lag = (self.now() - min(marks.values())).total_seconds()
        self.show(self.status)

    async def _changed(self, store: Store, resource: str, since: datetime) -> int:
        request: dict[str, Any] = {"resource": resource, "op": "list", "id": None, "limit": PAGE, "unsupported": [],
                                   "filters": {SINCE: since.isoformat().replace("+00:00", "Z")}}
        try:
            self.module.render(request, None)
        except NoEquivalent:
            return await self._recent(store, resource)
        return await self._since(store, resource, request)

    async def _since(self, store: Store, resource: str, request: dict[str, Any]) -> int:
        """Every page of the list filtered to what was created since the checkpoint."""
        position, objects = None, 0
        for _ in range(MAX_PAGES):
            _verb, path, params = self.module.render(request, position)
            body = await self.importer.client.get_json(path, params)
            items = self.module.parse_body(resource, "list", body)["items"]
            await self._write(store, resource, items)
            objects += len(items)
            position = self.module.next_position(body)
            if position is None or not items:
                break
        return objects

    async def _recent(self, store: Store, resource: str) -> int:
        """The newest pages, until one holds nothing new (no creation-time filter to ask with)."""
        objects = 0
        async with contextlib.aclosing(self.importer.client.pages(resource)) as pages:
            async for items, _next in pages:
                known = [await store.lookup(RESOURCE_KIND[resource], item.get("source_id")) for item in items]
                await self._write(store, resource, items)
                objects += len(items)
                if all(k is not None for k in known):
                    break
        return objects

    async def _write(self, store: Store, resource: str, items: list[dict[str, Any]]) -> None:
        async with self.importer.conn.transaction():
            for item in reversed(items):  # oldest first, as the first pass writes them
                await self.importer.write(store, resource, item)

    async def _marks(self, scope: Scope) -> dict[str, datetime]:
        """The follow checkpoints of this source, when every resource has one."""
        rows = await self.importer.checkpoint_rows(scope)
        marks = {r["resource"].removeprefix("follow:"): datetime.fromisoformat(r["next_token"])
                 for r in rows if r["resource"].startswith("follow:") and r["next_token"]}
        return marks if set(self.status.created) <= marks.keys() else {}

    async def _mark(self, scope: Scope, resource: str, mark: datetime, objects: int) -> None:
        await self.importer.save(scope, Checkpoint(f"follow:{resource}", mark.isoformat(), 0, objects, True))

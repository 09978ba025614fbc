"""Import a box office from any dialect's API into the core, resumably.

Resources are pulled in dependency order (event series with their default ticket types, events
with their ticket types, then orders, issued tickets and check-ins), each page in its own
transaction together with its checkpoint: a killed import loses at most the page in flight,
and the next run starts from the next page token.
When every resource of a run has finished, the next run starts from the beginning again and
updates what it finds (the id map turns re-imports into updates).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import asyncpg
from tqdm import tqdm

from core.models import Scope
from dialects.client_base import NoEquivalent
from gateway.migration import series_store
from gateway.migration import store_offers as offers
from gateway.migration.record import public_url
from gateway.migration.store import Store

# series before the events that join them; products before the orders whose line items name them;
# the objects a discount, voucher or check-in links to before it
ORDER = ("series", "events", "products", "discounts", "vouchers", "voucher_codes", "orders", "tickets", "check_ins",
         "waitlist_signups")


class ImportFailed(Exception):
    pass


@dataclass
class Checkpoint:
    resource: str
    next_token: str | None = None
    pages: int = 0
    objects: int = 0
    done: bool = False


@dataclass
class Progress:
    """Progress output: a tqdm bar per resource (pages and objects), or nothing."""

    enabled: bool = True
    bars: dict[str, Any] = field(default_factory=dict)

    def start(self, checkpoint: Checkpoint) -> None:
        if self.enabled:
            bar = tqdm(desc=checkpoint.resource, unit=" objects", initial=checkpoint.objects, leave=True)
            bar.set_postfix(pages=checkpoint.pages)
            self.bars[checkpoint.resource] = bar

    def page(self, checkpoint: Checkpoint, objects: int) -> None:
        bar = self.bars.get(checkpoint.resource)
        if bar is not None:  # (a tqdm without a total refuses bool())
            bar.update(objects)
            bar.set_postfix(pages=checkpoint.pages)

    def finish(self, checkpoint: Checkpoint) -> None:
        bar = self.bars.pop(checkpoint.resource, None)
        if bar is not None:
            bar.close()


class Importer:
    def __init__(self, conn: asyncpg.Connection, module: ModuleType, client: Any, source_url: str,
                 *, progress: bool = True) -> None:
        self.conn = conn
        self.module = module  # the source dialect's client module
        self.client = client
        self.source_url = public_url(source_url)
        self.progress = Progress(progress)

    async def run(self, box_office: str, livemode: bool = True, *, restart: bool = False,
                  max_pages: int | None = None) -> dict[str, Any]:
        """Import everything; ``max_pages`` stops early (as an interruption would), for tests and dry runs."""
        async with self.locked(box_office) as office:
            return await self._run(box_office, Scope(office["id"], livemode), office["currency"], restart, max_pages)

    @asynccontextmanager
    async def locked(self, box_office: str) -> AsyncIterator[asyncpg.Record]:
        """The box office's row, held for this import alone (ImportFailed: no such office, or busy)."""
        office = await self.conn.fetchrow("SELECT id, currency FROM box_offices WHERE slug = $1", box_office)
        if office is None:
            raise ImportFailed(f"no box office with slug {box_office!r}")
        # one import per box office at a time: two would race to insert the same vendor objects
        if not await self.conn.fetchval("SELECT pg_try_advisory_lock(hashtext('ticketgate.import'), $1::int)",
                                        office["id"] % 2_147_483_647):
            raise ImportFailed(f"another import into {box_office!r} is running")
        try:
            yield office
        finally:
            await self.conn.execute("SELECT pg_advisory_unlock(hashtext('ticketgate.import'), $1::int)",
                                    office["id"] % 2_147_483_647)

    @staticmethod
    async def write(store: Store, resource: str, item: dict[str, Any]) -> None:
        if resource in offers.WRITERS:
            await offers.WRITERS[resource](store, item)
            return
        writers = {"series": lambda: series_store.series(store, item), "events": lambda: store.event(item),
                   "orders": lambda: store.order(item), "check_ins": lambda: series_store.check_in(store, item)}
        await writers.get(resource, lambda: store.ticket(item))()

    async def _run(self, box_office: str, scope: Scope, currency: str, restart: bool,
                   max_pages: int | None) -> dict[str, Any]:
        store = Store(self.conn, scope, self.module.DIALECT, currency)
        checkpoints, resumed = await self._checkpoints(scope, restart)
        budget = [max_pages if max_pages is not None else -1]
        for resource in (r for r in ORDER if r in self.module.IMPORTS):
            await self._resource(store, scope, checkpoints[resource], budget)
        complete = all(c.done for c in checkpoints.values())
        settled = await store.reconcile_stock("tickets" in self.module.IMPORTS) if complete else 0
        return {"box_office": box_office, "source": self.module.DIALECT, "source_url": self.source_url,
                "resumed": resumed, "complete": complete, "ticket_types_settled": settled,
                "created": store.tally.created, "updated": store.tally.updated, "problems": store.tally.problems,
                "resources": {c.resource: {"pages": c.pages, "objects": c.objects, "done": c.done}
                              for c in checkpoints.values()}}

    async def checkpoint_rows(self, scope: Scope) -> list[asyncpg.Record]:
        """This source's checkpoints in the box office (the import's, and ``import --follow``'s)."""
        rows: list[asyncpg.Record] = await self.conn.fetch(
            "SELECT resource, next_token, pages, objects, done FROM import_checkpoints WHERE box_office_id = $1"
            " AND livemode = $2 AND source_dialect = $3 AND source_url = $4",
            scope.box_office_id, scope.livemode, self.module.DIALECT, self.source_url)
        return rows

    async def _checkpoints(self, scope: Scope, restart: bool) -> tuple[dict[str, Checkpoint], bool]:
        saved = {r["resource"]: Checkpoint(**dict(r)) for r in await self.checkpoint_rows(scope)}
        fresh = restart or not saved or all(r in saved and saved[r].done for r in self.module.IMPORTS)
        if fresh:  # a finished (or no) previous run: start over, and forget its checkpoints
            await self.conn.execute(
                "DELETE FROM import_checkpoints WHERE box_office_id = $1 AND livemode = $2 AND source_dialect = $3"
                " AND source_url = $4", scope.box_office_id, scope.livemode, self.module.DIALECT, self.source_url)
            saved = {}
        return {r: saved.get(r, Checkpoint(r)) for r in self.module.IMPORTS}, not fresh

    async def _resource(self, store: Store, scope: Scope, checkpoint: Checkpoint, budget: list[int]) -> None:
        if checkpoint.done or budget[0] == 0:
            return
        self.progress.start(checkpoint)
        try:
            await self._pages(store, scope, checkpoint, budget)
        except NoEquivalent as exc:  # the source cannot list it: said once, and the resource is done
            store.tally.problems.append(f"{checkpoint.resource}: {exc}")
            checkpoint.next_token, checkpoint.done = None, True
            await self.save(scope, checkpoint)
        finally:
            self.progress.finish(checkpoint)

    async def _pages(self, store: Store, scope: Scope, checkpoint: Checkpoint, budget: list[int]) -> None:
        async for items, next_token in self.client.pages(checkpoint.resource, checkpoint.next_token):
            async with self.conn.transaction():
                # lists come newest first: writing a page oldest first gives objects created in the
                # same second ascending ids, so the copy lists them in the vendor's order
                for item in reversed(items):
                    await self.write(store, checkpoint.resource, item)
                checkpoint.pages += 1
                checkpoint.objects += len(items)
                checkpoint.next_token, checkpoint.done = next_token, next_token is None
                await self.save(scope, checkpoint)
            self.progress.page(checkpoint, len(items))
            budget[0] -= 1
            if budget[0] == 0:
                break

    async def save(self, scope: Scope, c: Checkpoint) -> None:
        await self.conn.execute(
            "INSERT INTO import_checkpoints (box_office_id, livemode, source_dialect, source_url, resource,"
            " next_token, pages, objects, done) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            " ON CONFLICT (box_office_id, livemode, source_dialect, source_url, resource) DO UPDATE SET"
            " next_token = EXCLUDED.next_token, pages = EXCLUDED.pages, objects = EXCLUDED.objects,"
            " done = EXCLUDED.done, updated_at = now()",
            scope.box_office_id, scope.livemode, self.module.DIALECT, self.source_url, c.resource,
            c.next_token, c.pages, c.objects, c.done)

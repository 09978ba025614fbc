"""Writing imported objects into the core tables (asyncpg, no ORM), keyed by the import id map.

Each object is upserted through ``import_map``: the first import inserts a row and remembers
which core id it became; later imports update that row. Vendor values are made to fit the
core's constraints here (unknown enums fall back to a documented default), so one odd
object never aborts a page. Stock is settled once at the end (``reconcile_stock``): imported
valid tickets count as sold, and the vendor's totals become the core's quantities.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from core.events import EVENT_COLUMNS
from core.models import SLUG_RE, Scope
from core.slugs import slugify
from gateway.migration.values import choose, count, when

EVENT_ENUMS = {
    "status": (("draft", "published", "sold_out", "cancelled", "completed", "archived"), "draft"),
    "visibility": (("public", "unlisted", "private"), "public"),
    "category": (("comedy", "music", "conference", "workshop", "theater", "sports", "other"), "other"),
}
TICKET_TYPE_STATUSES = ("on_sale", "off_sale", "sold_out", "hidden", "admin_only", "locked")
ORDER_STATUSES = ("pending", "completed", "cancelled", "refunded")
PAYMENT_METHODS = ("stripe", "paypal", "offline", "operator", "no_cost")
LINE_ITEM_TYPES = ("ticket", "transaction_charge", "void", "tax", "gift_card", "donation", "product")
NOT_NULL_EVENT = ("title", "slug", "starts_at", "timezone", "online", "currency", "visibility", "category")
TIME_FIELDS = ("starts_at", "ends_at", "doors_open_at", "sale_starts_at", "sale_ends_at", "created_at",
               "checked_in_at", "voided_at")


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    problems: list[str] = field(default_factory=list)


class Store:
    def __init__(self, conn: asyncpg.Connection, scope: Scope, dialect: str, office_currency: str) -> None:
        self.conn = conn
        self.scope = scope
        self.dialect = dialect
        self.currency = office_currency
        self.tally = Tally()

    # --- the id map ---

    async def lookup(self, kind: str, source_id: Any) -> int | None:
        if not isinstance(source_id, str | int) or source_id == "":
            return None
        return await self.conn.fetchval(
            "SELECT core_id FROM import_map WHERE box_office_id = $1 AND livemode = $2 AND source_dialect = $3"
            " AND source_kind = $4 AND source_id = $5",
            self.scope.box_office_id, self.scope.livemode, self.dialect, kind, str(source_id))

    async def remember(self, kind: str, source_id: Any, core_id: int, stock: dict | None = None) -> None:
        await self.conn.execute(
            "INSERT INTO import_map (box_office_id, livemode, source_dialect, source_kind, source_id, core_id, stock)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (box_office_id, livemode, source_dialect, source_kind,"
            " source_id) DO UPDATE SET core_id = EXCLUDED.core_id, stock = EXCLUDED.stock, imported_at = now()",
            self.scope.box_office_id, self.scope.livemode, self.dialect, kind, str(source_id), core_id,
            stock or {})

    def _owner(self) -> dict[str, Any]:
        return {"box_office_id": self.scope.box_office_id, "livemode": self.scope.livemode}

    async def _upsert(self, table: str, kind: str, source_id: Any, values: dict[str, Any], *,
                      new: dict[str, Any] | None = None, stock: dict | None = None) -> int:
        """Update the row ``source_id`` became, or insert one from ``values`` and ``new`` (what only a
        new row is given: its owner, its slug or barcode, its first counts)."""
        core_id = await self.lookup(kind, source_id)
        if core_id is not None:
            sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(values, start=2))
            found = await self.conn.fetchval(
                f"UPDATE {table} SET {sets}, updated_at = now() WHERE id = $1 RETURNING id", core_id, *values.values())
            if found is not None:
                self.tally.updated += 1
                await self.remember(kind, source_id, core_id, stock)
                return core_id
        row = {**values, **(new or {})}
        placeholders = ", ".join(f"${i}" for i in range(1, len(row) + 1))
        core_id = await self.conn.fetchval(
            f"INSERT INTO {table} ({', '.join(row)}) VALUES ({placeholders}) RETURNING id", *row.values())
        self.tally.created += 1
        await self.remember(kind, source_id, core_id, stock)
        return core_id

    async def _parent(self, kind: str, source_id: Any) -> int:
        """The core id of the object this one belongs to; without it, this object cannot be written."""
        core_id = await self.lookup(kind, source_id)
        if core_id is None:
            raise ValueError(f"its {kind} {source_id} was not imported")
        return core_id

    async def guarded(self, label: str, write: Any) -> Any:
        """Run one object's write in a savepoint: a refused object is reported, the page goes on."""
        try:
            async with self.conn.transaction():
                return await write
        except (asyncpg.PostgresError, ValueError, TypeError, KeyError) as exc:
            self.tally.problems.append(f"{label}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
            return None

    # --- events and ticket types ---

    async def event(self, data: dict[str, Any]) -> int | None:
        core_id = await self.guarded(f"event {data.get('source_id')}", self._event(data))
        if core_id is None:
            return None
        for ticket_type in data.get("ticket_types") or []:
            await self.guarded(f"ticket type {ticket_type.get('source_id')}", self._ticket_type(ticket_type, core_id))
        return core_id

    def _event_values(self, data: dict[str, Any]) -> dict[str, Any]:
        values = {c: data[c] for c in EVENT_COLUMNS if c in data and c != "slug"}
        values.update({c: when(values[c]) for c in TIME_FIELDS if c in values})
        for name, (allowed, default) in EVENT_ENUMS.items():
            if name in data:
                values[name] = choose(data[name], allowed, default)
        if isinstance(values.get("title"), str):
            values["title"] = values["title"][:200] or "Untitled event"
        if not (isinstance(values.get("currency"), str) and len(values["currency"]) == 3):
            values["currency"] = self.currency
        values["online"] = bool(values.get("online"))
        return {k: v for k, v in values.items() if v is not None or k not in NOT_NULL_EVENT}

    async def _event(self, data: dict[str, Any]) -> int:
        values = self._event_values(data)
        if values.get("starts_at") is None:
            raise ValueError("no start time")
        values.setdefault("title", "Untitled event")
        new: dict[str, Any] = {}
        series = await self.lookup("event_series", data.get("series_id"))  # imported before its events
        if series is not None:
            values["series_id"] = series
        if await self.lookup("event", data.get("source_id")) is None:  # the slug is chosen once, when new
            new = {**self._owner(), "slug": await self._free_slug(data.get("slug"), values["title"])}
            if created := when(data.get("created_at")):
                new["created_at"] = created
        return await self._upsert("events", "event", data.get("source_id"), values, new=new)

    async def _free_slug(self, wanted: Any, title: str) -> str:
        base = wanted if isinstance(wanted, str) and SLUG_RE.fullmatch(wanted) else slugify(title)
        taken = set(await self.conn.fetchval(
            "SELECT coalesce(array_agg(slug), '{}') FROM events WHERE box_office_id = $1 AND livemode = $2"
            " AND (slug = $3 OR slug LIKE $3 || '-%')", self.scope.box_office_id, self.scope.livemode, base))
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base[:90]}-{n}"
        return slug

    async def _ticket_type(self, data: dict[str, Any], event_id: int) -> int:
        low, high = count(data.get("min_per_order"), 1) or 1, count(data.get("max_per_order"), 100) or 100
        values = {
            "name": (data.get("name") or "Ticket")[:200], "description": data.get("description"),
            "price": count(data.get("price")), "booking_fee": count(data.get("booking_fee")),
            "min_per_order": min(low, high), "max_per_order": max(low, high), "hidden": bool(data.get("hidden")),
            "access_code": data.get("access_code"), "sort_order": data.get("sort_order") or 0,
            "status": choose(data.get("status"), TICKET_TYPE_STATUSES, "on_sale"),
            "sale_starts_at": when(data.get("sale_starts_at")), "sale_ends_at": when(data.get("sale_ends_at")),
        }
        stock = {k: data[k] for k in ("quantity", "sold", "available") if count(data.get(k), -1) >= 0}
        # a first quantity that satisfies sold + held <= quantity; reconcile_stock settles it
        new = {"event_id": event_id, "quantity": count(data.get("quantity"), count(data.get("available")))}
        return await self._upsert("ticket_types", "ticket_type", data.get("source_id"), values, new=new, stock=stock)

    # --- orders and issued tickets ---

    async def order(self, data: dict[str, Any]) -> int | None:
        return await self.guarded(f"order {data.get('source_id')}", self._order(data))

    async def _order(self, data: dict[str, Any]) -> int:
        event_id = await self._parent("event", data.get("event_id"))
        total = count(data.get("total"))
        currency = data.get("currency")
        values = {
            "event_id": event_id, "status": choose(data.get("status"), ORDER_STATUSES, "completed"),
            "buyer_name": data.get("buyer_name") or "", "buyer_email": data.get("buyer_email") or "",
            "buyer_phone": data.get("buyer_phone"), "buyer_address": data.get("buyer_address") or {},
            "custom_questions": data.get("custom_questions") or [],
            "currency": currency if isinstance(currency, str) and len(currency) == 3 else self.currency,
            "subtotal": count(data.get("subtotal")), "booking_fee": count(data.get("booking_fee")),
            "tax": count(data.get("tax")), "total": total,
            "refund_amount": min(count(data.get("refund_amount")), total),
            "payment_method": choose(data.get("payment_method"), PAYMENT_METHODS, "operator"),
            "txn_id": data.get("txn_id"), "created_at": when(data.get("created_at")) or datetime.now(UTC),
        }
        order_id = await self._upsert("orders", "order", data.get("source_id"), values, new=self._owner())
        await self._line_items(order_id, data.get("line_items") or [])
        return order_id

    async def _line_items(self, order_id: int, items: list[dict[str, Any]]) -> None:
        # line items have no ids of their own in every dialect: replace them as a set
        await self.conn.execute("DELETE FROM order_line_items WHERE order_id = $1", order_id)
        for item in items:
            type_id = await self.lookup("ticket_type", item.get("ticket_type_id"))
            value, fee = item.get("value") or 0, item.get("booking_fee") or 0
            kind = choose(item.get("type"), LINE_ITEM_TYPES, "ticket")
            product_id = await self._product(item) if kind == "product" else None
            await self.conn.execute(
                "INSERT INTO order_line_items (order_id, ticket_type_id, product_id, type, description, quantity,"
                " value, booking_fee, total) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                order_id, type_id, product_id, kind, item.get("description") or "",
                count(item.get("quantity")), value, fee, item.get("total", value + fee))

    async def _product(self, item: dict[str, Any]) -> int | None:
        """A product line's imported product: by its id where the vendor gives one, else (Ticket
        Tailor's line items carry none) the imported product the line is named after."""
        found = await self.lookup("product", item.get("product_id"))
        if found is not None:
            return found
        return await self.conn.fetchval(
            "SELECT m.core_id FROM import_map m JOIN products p ON p.id = m.core_id WHERE m.box_office_id = $1"
            " AND m.livemode = $2 AND m.source_dialect = $3 AND m.source_kind = 'product' AND p.name = $4"
            " ORDER BY m.core_id LIMIT 1", self.scope.box_office_id, self.scope.livemode, self.dialect,
            item.get("description") or "")

    async def ticket(self, data: dict[str, Any]) -> int | None:
        return await self.guarded(f"ticket {data.get('source_id')}", self._ticket(data))

    async def _ticket(self, data: dict[str, Any]) -> int:
        order_id = await self._parent("order", data.get("order_id"))
        # a ticket is in its order's event (the schema holds them to it)
        event_id = await self.conn.fetchval("SELECT event_id FROM orders WHERE id = $1", order_id)
        checked = when(data.get("checked_in_at"))
        if checked is None and data.get("checked_in"):  # the vendor says only "yes": its last change is when
            checked = when(data.get("updated_at")) or when(data.get("created_at")) or datetime.now(UTC)
        values = {
            "order_id": order_id, "event_id": event_id,
            "ticket_type_id": await self.lookup("ticket_type", data.get("ticket_type_id")),
            "reference": data.get("reference"), "description": data.get("description") or "",
            "status": choose(data.get("status"), ("valid", "void"), "valid"), "voided_at": when(data.get("voided_at")),
            "first_name": data.get("first_name"), "last_name": data.get("last_name"), "email": data.get("email"),
            "custom_questions": data.get("custom_questions") or [], "checked_in_at": checked,
        }
        new = {**self._owner(), "barcode": data.get("barcode") or secrets.token_hex(8),
               "created_at": when(data.get("created_at")) or datetime.now(UTC)}
        return await self._upsert("issued_tickets", "issued_ticket", data.get("source_id"), values, new=new)

    # --- stock ---

    async def reconcile_stock(self, tickets_imported: bool) -> int:
        """Settle sold and quantity of every imported ticket type in one statement."""
        result = await self.conn.execute(RECONCILE, self.scope.box_office_id, self.scope.livemode, self.dialect,
                                         tickets_imported)
        return int(result.split()[-1])


# Sold: the valid tickets now in the core when the vendor's tickets were imported, else the vendor's
# own count. Quantity: the vendor's total, else what it had left plus what is sold; never below
# sold + held, so the CHECK holds.
RECONCILE = """
WITH figures AS (
    SELECT m.core_id AS id, m.stock,
           CASE WHEN $4 THEN (SELECT count(*) FROM issued_tickets it
                              WHERE it.ticket_type_id = m.core_id AND it.status = 'valid')::int
                ELSE coalesce((m.stock->>'sold')::int, 0) END AS sold
    FROM import_map m
    WHERE m.box_office_id = $1 AND m.livemode = $2 AND m.source_dialect = $3 AND m.source_kind = 'ticket_type'
)
UPDATE ticket_types tt
SET sold = f.sold,
    quantity = greatest(coalesce((f.stock->>'quantity')::int, (f.stock->>'available')::int + f.sold, tt.quantity),
                        f.sold + tt.held),
    updated_at = now()
FROM figures f
WHERE tt.id = f.id
"""

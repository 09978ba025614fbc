"""Writing imported event series (with their default ticket types) and check-ins into the core.

Beside ``Store`` and through its id map: a series is upserted like an event (its events, imported
after it, name it and join it instead of getting a series of their own); a check-in is written
once (check-ins do not change: a re-import finds it in the map and leaves it), with a nonce
made from its vendor id so that writing it twice is still one check-in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gateway.migration.store import EVENT_ENUMS, TICKET_TYPE_STATUSES, Store
from gateway.migration.values import choose, count, when

SERIES_TEXT = ("name", "description", "timezone", "call_to_action", "venue_name", "postal_code",
               "image_header", "image_thumbnail")


async def series(store: Store, data: dict[str, Any]) -> int | None:
    core_id = await store.guarded(f"event series {data.get('source_id')}", _series(store, data))
    if core_id is None:
        return None
    for ticket_type in data.get("ticket_types") or []:
        await store.guarded(f"series ticket type {ticket_type.get('source_id')}",
                            _default_type(store, ticket_type, core_id))
    return core_id


async def _series(store: Store, data: dict[str, Any]) -> int:
    values: dict[str, Any] = {c: data.get(c) for c in SERIES_TEXT if data.get(c) is not None}
    values["name"] = (data.get("name") or "Untitled series")[:200]
    currency = data.get("currency")
    values["currency"] = currency if isinstance(currency, str) and len(currency) == 3 else store.currency
    for name in ("status", "visibility"):
        allowed, default = EVENT_ENUMS[name]
        values[name] = choose(data.get(name), allowed, default)
    values["online"] = bool(data.get("online"))
    new = {"box_office_id": store.scope.box_office_id, "livemode": store.scope.livemode,
           "created_at": when(data.get("created_at")) or datetime.now(UTC)}
    return await store._upsert("event_series", "event_series", data.get("source_id"), values, new=new)


async def _default_type(store: Store, data: dict[str, Any], series_id: int) -> int:
    low, high = count(data.get("min_per_order"), 1) or 1, count(data.get("max_per_order"), 100) or 100
    values = {
        "name": (data.get("name") or "Ticket")[:200], "description": data.get("description"),
        "price": count(data.get("price")), "booking_fee": count(data.get("booking_fee")),
        "quantity": count(data.get("quantity"), count(data.get("available"))),
        "min_per_order": min(low, high), "max_per_order": max(low, high), "hidden": bool(data.get("hidden")),
        "access_code": data.get("access_code"), "sort_order": data.get("sort_order") or 0,
        "status": choose(data.get("status"), TICKET_TYPE_STATUSES, "on_sale"),
    }
    return await store._upsert("series_ticket_types", "series_ticket_type", data.get("source_id"), values,
                               new={"series_id": series_id})


async def check_in(store: Store, data: dict[str, Any]) -> int | None:
    return await store.guarded(f"check-in {data.get('source_id')}", _check_in(store, data))


async def _check_in(store: Store, data: dict[str, Any]) -> int | None:
    source_id = data.get("source_id")
    known = await store.lookup("check_in", source_id)
    if known is not None:
        store.tally.updated += 1
        return known
    ticket_id = await store._parent("issued_ticket", data.get("ticket_id"))
    quantity = data.get("quantity")
    quantity = quantity if isinstance(quantity, int) and not isinstance(quantity, bool) and quantity != 0 else 1
    created = when(data.get("created_at")) or datetime.now(UTC)
    core_id = await store.conn.fetchval(
        "INSERT INTO check_ins (ticket_id, nonce, quantity, check_in_at, created_at) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (ticket_id, nonce) DO UPDATE SET quantity = EXCLUDED.quantity RETURNING id",
        ticket_id, f"import:{store.dialect}:{source_id}", max(-100, min(100, quantity)),
        when(data.get("check_in_at")) or created, created)
    store.tally.created += 1
    await store.remember("check_in", source_id, core_id)
    return core_id

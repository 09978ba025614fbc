"""Writing imported products, discounts, vouchers, voucher codes and waitlist signups, through
the import id map like every imported object (gateway.migration.store).

Links are mapped through the id map too: a discount's ticket types and products, a voucher's
and a product's event series (the series import's, else none: the object is then linked to
none and a problem says so). A waitlist signup belongs to the series of its imported event.
Counters are the vendor's: a code keeps the value it had left, a product's sold count starts at
zero (the imported orders' product lines are what it sold).
"""

from __future__ import annotations

from typing import Any

from gateway.migration.store import Store
from gateway.migration.values import choose, count, when

PRODUCT_STATUSES = ("on_sale", "off_sale")
FULFILMENT_TYPES = ("none", "delivery", "collection", "digital")
VOUCHER_TYPES = ("gift_card", "credit")


async def _ids(store: Store, kind: str, source_ids: Any) -> list[int]:
    found = [await store.lookup(kind, source_id) for source_id in source_ids or []]
    return [core_id for core_id in found if core_id is not None]


async def _series(store: Store, data: dict[str, Any], label: str) -> tuple[bool, list[int]]:
    """(linked to every series, the mapped series) of a product or voucher."""
    every = data.get("all_series") is not False
    series = [] if every else await _ids(store, "event_series", data.get("series_ids"))
    if not every and len(series) < len(data.get("series_ids") or []):
        store.tally.problems.append(f"{label}: some of its event series were not imported; not linked to them")
    return every, series


def _currency(store: Store, value: Any) -> str:
    return value if isinstance(value, str) and len(value) == 3 else store.currency


async def product(store: Store, data: dict[str, Any]) -> int | None:
    return await store.guarded(f"product {data.get('source_id')}", _product(store, data))


async def _product(store: Store, data: dict[str, Any]) -> int:
    every, series = await _series(store, data, f"product {data.get('source_id')}")
    values = {"name": (data.get("name") or "Product")[:200], "price": count(data.get("price")),
              "currency": _currency(store, data.get("currency")),
              "status": choose(data.get("status"), PRODUCT_STATUSES, "on_sale"),
              "fulfilment_type": choose(data.get("fulfilment_type"), FULFILMENT_TYPES, "none"),
              "all_series": every, "series_ids": series}
    new: dict[str, Any] = {"box_office_id": store.scope.box_office_id, "livemode": store.scope.livemode}
    if created := when(data.get("created_at")):
        new["created_at"] = created
    return await store._upsert("products", "product", data.get("source_id"), values, new=new)


async def discount(store: Store, data: dict[str, Any]) -> int | None:
    return await store.guarded(f"discount {data.get('source_id')}", _discount(store, data))


async def _discount(store: Store, data: dict[str, Any]) -> int:
    values = {"name": (data.get("name") or data.get("code") or "Discount")[:200],
              "code": (data.get("code") or str(data.get("source_id")))[:100],
              "type": "fixed_amount", "face_value_amount": count(data.get("face_value_amount")),
              "booking_fee_amount": count(data.get("booking_fee_amount")),
              "ticket_type_ids": await _ids(store, "ticket_type", data.get("ticket_type_ids")),
              "product_ids": await _ids(store, "product", data.get("product_ids"))}
    new = {"box_office_id": store.scope.box_office_id, "livemode": store.scope.livemode}
    return await store._upsert("discounts", "discount", data.get("source_id"), values, new=new)


async def voucher(store: Store, data: dict[str, Any]) -> int | None:
    return await store.guarded(f"voucher {data.get('source_id')}", _voucher(store, data))


async def _voucher(store: Store, data: dict[str, Any]) -> int:
    every, series = await _series(store, data, f"voucher {data.get('source_id')}")
    values = {"name": (data.get("name") or "Voucher")[:200], "type": choose(data.get("type"), VOUCHER_TYPES,
                                                                           "gift_card"),
              "value": max(count(data.get("value")), 1), "currency": _currency(store, data.get("currency")),
              "partial_redemption": data.get("partial_redemption") is not False, "all_series": every,
              "series_ids": series, "expires_at": when(data.get("expires_at"))}
    new = {"box_office_id": store.scope.box_office_id, "livemode": store.scope.livemode}
    return await store._upsert("vouchers", "voucher", data.get("source_id"), values, new=new)


async def voucher_code(store: Store, data: dict[str, Any]) -> int | None:
    return await store.guarded(f"voucher code {data.get('source_id')}", _voucher_code(store, data))


async def _voucher_code(store: Store, data: dict[str, Any]) -> int:
    voucher_id = await store._parent("voucher", data.get("voucher_id"))
    values = {"code": (data.get("code") or str(data.get("source_id")))[:100],
              "remaining": count(data.get("remaining"))}
    new = {"voucher_id": voucher_id, "box_office_id": store.scope.box_office_id, "livemode": store.scope.livemode}
    return await store._upsert("voucher_codes", "voucher_code", data.get("source_id"), values, new=new)


async def waitlist_signup(store: Store, data: dict[str, Any]) -> int | None:
    return await store.guarded(f"waitlist signup {data.get('source_id')}", _waitlist_signup(store, data))


async def _waitlist_signup(store: Store, data: dict[str, Any]) -> int:
    event_id = await store._parent("event", data.get("event_id"))
    series_id = await store.conn.fetchval("SELECT series_id FROM events WHERE id = $1", event_id)
    values = {"series_id": series_id, "event_id": event_id, "email": data.get("email") or "",
              "first_name": data.get("first_name"), "last_name": data.get("last_name")}
    new = {"box_office_id": store.scope.box_office_id, "livemode": store.scope.livemode,
           "created_at": when(data.get("created_at"))}
    return await store._upsert("waitlist_signups", "waitlist_signup", data.get("source_id"), values,
                               new={k: v for k, v in new.items() if v is not None})


WRITERS = {"products": product, "discounts": discount, "vouchers": voucher, "voucher_codes": voucher_code,
           "waitlist_signups": waitlist_signup}

"""GET /v1/products, /v1/discounts, /v1/vouchers, /v1/vouchers/{id}/codes and
/v1/event_series/{id}/waitlist_signups: objects field by field, every list walked across
several pages (no duplicates, no gaps, null links.next at the end), errors as the dialect's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator

from core import discounts, products, vouchers, waitlists
from core.checkout import Checkout
from core.clock import ManualClock
from core.models import parse
from core.offers import DiscountCreate, ProductCreate, VoucherCreate, WaitlistSignupCreate
from tests.tickettailor.conftest import BASE, T0, make_event, order_input, unix


@pytest.fixture
async def offers(conn, seed):
    """Five of each list's objects, one second apart from T0, and a sold-out occurrence."""
    scope, made = seed.scope, {"products": [], "discounts": [], "vouchers": [], "signups": []}
    type_id = seed.types[0]["id"]
    for n in range(5):
        at = T0 + timedelta(seconds=n)
        made["products"].append(await products.create_product(conn, scope, parse(ProductCreate, {
            "name": f"Poster {n}", "price": 500 + n, "quantity": 10 if n else None}), at))
        made["discounts"].append(await discounts.create_discount(conn, scope, parse(DiscountCreate, {
            "name": f"Off {n}", "code": f"OFF{n}", "face_value_amount": 100, "booking_fee_amount": n,
            "ticket_type_ids": [type_id], "product_ids": [made["products"][0]["id"]]}), at))
    series = seed.event["series_id"]
    for n in range(5):
        made["vouchers"].append(await vouchers.create_voucher(conn, scope, parse(VoucherCreate, {
            "name": f"Gift {n}", "value": 1000, "currency": "GBP", "partial_redemption": n % 2 == 0,
            "series_ids": [series] if n == 0 else [], "expires_at": T0 + timedelta(days=400) if n == 0 else None,
            "codes": [f"G{n}-{i}" for i in range(5 if n == 0 else 1)]}), T0 + timedelta(seconds=n)))
    await conn.execute("UPDATE ticket_types SET quantity = sold WHERE event_id = $1", seed.event["id"])
    for n in range(5):
        made["signups"].append(await waitlists.sign_up(conn, scope, parse(WaitlistSignupCreate, {
            "event_id": seed.event["id"], "email": f"w{n}@example.com", "first_name": "W"}),
            T0 + timedelta(seconds=n)))
    made["series"] = series
    return made


async def _walk(tt, auth, path: str) -> list[dict]:
    """Every object of a list, two a page; each page's links checked on the way."""
    seen, url, pages = [], f"{BASE}{path}?limit=2", 0
    while url:
        response = await tt.get(url, headers=auth)
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["links"]["previous"] is None) == (pages == 0)
        seen += body["data"]
        pages += 1
        url = BASE + body["links"]["next"] if body["links"]["next"] else None
    assert pages == 3 and len(seen) == 5
    ids = [o["id"] for o in seen]
    assert len(set(ids)) == 5
    back = (await tt.get(f"{BASE}{path}?ending_before={ids[2]}&limit=2", headers=auth)).json()
    assert [o["id"] for o in back["data"]] == ids[:2] and back["links"]["previous"] is None
    return seen


async def test_products_walk_and_render_field_by_field(tt, seed, offers):
    listed = await _walk(tt, seed.auth, "/products")
    assert [p["id"] for p in listed] == [f"pr_{p['id']}" for p in reversed(offers["products"])]
    first = listed[-1]
    assert first == {
        "object": "product", "id": f"pr_{offers['products'][0]['id']}", "name": "Poster 0", "price": 500,
        "currency": "usd", "status": "on_sale", "fulfilment_type": "none", "linked_to_all_event_series": "true",
        "created_at": first["created_at"], "updated_at": first["updated_at"]}
    assert first["created_at"]["unix"] == unix(T0) and first["created_at"]["timezone"] == "+00:00"


async def test_discounts_walk_and_render_field_by_field(tt, seed, offers):
    listed = await _walk(tt, seed.auth, "/discounts")
    assert listed[-1] == {
        "object": "discount", "id": f"dc_{offers['discounts'][0]['id']}", "name": "Off 0", "code": "OFF0",
        "type": "fixed_amount", "face_value_amount": 100, "booking_fee_amount": 0,
        "ticket_types": [f"tt_{seed.types[0]['id']}"], "products": [f"pr_{offers['products'][0]['id']}"]}


async def test_vouchers_and_codes_walk_and_show_what_is_left(tt, seed, offers, conn):
    event_id, type_id = seed.event["id"], seed.types[1]["id"]
    await conn.execute("UPDATE ticket_types SET quantity = quantity + 1 WHERE id = $1", type_id)
    await conn.execute("UPDATE ticket_types SET price = 300 WHERE id = $1", type_id)
    await Checkout(ManualClock(T0 + timedelta(days=1))).place(
        conn, seed.scope, order_input(event_id, type_id).model_copy(update={"voucher_code": "G0-0"}))
    listed = await _walk(tt, seed.auth, "/vouchers")
    oldest = listed[-1]
    expiry = oldest.pop("expiry")
    assert oldest == {
        "object": "voucher", "id": f"vo_{offers['vouchers'][0]['id']}", "name": "Gift 0", "type": "gift_card",
        "value": 1000, "currency": "gbp", "partial_redemption": "true", "usable_on_any_event": "false",
        "event_series_ids": [f"es_{offers['series']}"], "total_codes": 5, "available_codes": 5}
    assert expiry["unix"] == unix(T0 + timedelta(days=400))
    assert listed[0]["expiry"] is None and listed[0]["usable_on_any_event"] == "true"
    codes = await _walk(tt, seed.auth, f"/vouchers/vo_{offers['vouchers'][0]['id']}/codes")
    spent = next(c for c in codes if c["code"] == "G0-0")
    assert spent == {"object": "voucher_code", "id": spent["id"], "code": "G0-0",
                     "voucher_id": f"vo_{offers['vouchers'][0]['id']}", "value_remaining": 700, "status": "active"}
    order = (await tt.get(f"{BASE}/orders?limit=1", headers=seed.auth)).json()["data"][0]
    assert order["total"] == 0 and order["line_items"][-1] == {
        "object": "line_item", "id": order["line_items"][-1]["id"], "booking_fee": 0,
        "description": "Voucher: G0-0", "type": "gift_card", "total": -300, "value": -300, "quantity": 1}


async def test_waitlist_signups_walk_under_their_series(tt, seed, offers):
    listed = await _walk(tt, seed.auth, f"/event_series/es_{offers['series']}/waitlist_signups")
    first = offers["signups"][0]
    assert listed[-1] == {
        "object": "waitlist_signup", "id": f"ws_{first['id']}", "email": "w0@example.com", "first_name": "W",
        "last_name": None, "event_series_id": f"es_{offers['series']}", "event_id": f"ev_{seed.event['id']}",
        "created_at": unix(T0)}


@pytest.mark.parametrize("path", ["/vouchers/vo_{missing}/codes", "/vouchers/nope/codes",
                                  "/event_series/es_{missing}/waitlist_signups",
                                  "/vouchers/vo_{missing}/codes?starting_after=vc_{code}"])
async def test_a_missing_parent_is_a_404(tt, seed, offers, path):
    code = (await tt.get(f"{BASE}/vouchers/vo_{offers['vouchers'][0]['id']}/codes?limit=1",
                         headers=seed.auth)).json()["data"][0]["id"][3:]
    url = BASE + path.format(missing=999_999_999, code=code)
    response = await tt.get(url, headers=seed.auth)
    assert response.status_code == 404 and response.json()["error_code"] == "Not Found"


async def test_another_box_offices_objects_are_not_listed(tt, offers, make_box_office, make_key):
    from tests.tickettailor.conftest import basic

    other = basic(await make_key(await make_box_office(), "tickettailor"))
    for path in ("/products", "/discounts", "/vouchers"):
        body = (await tt.get(f"{BASE}{path}", headers=other)).json()
        assert body == {"data": [], "links": {"next": None, "previous": None}}
    assert (await tt.get(f"{BASE}/event_series/es_{offers['series']}/waitlist_signups",
                         headers=other)).status_code == 404


@pytest.mark.parametrize("query", ["status=on_sale", "limit=0", "starting_after=pr_999999999", "code=OFF1"])
async def test_bad_or_unknown_parameters_are_refused(tt, seed, offers, query):
    path = "/discounts" if query.startswith("code") else "/products"
    response = await tt.get(f"{BASE}{path}?{query}", headers=seed.auth)
    assert response.status_code == 400 and response.json()["error_code"] == "Bad Request"


async def test_no_credentials_is_a_401_with_rate_headers_otherwise(tt, seed, offers):
    assert (await tt.get(f"{BASE}/vouchers")).status_code == 401
    answer = await tt.get(f"{BASE}/vouchers", headers=seed.auth)
    assert "X-Rate-Limit-Remaining" in answer.headers


async def test_real_responses_match_the_document(tt, seed, offers):
    spec = (await tt.get(f"{BASE}/openapi.json")).json()
    cases = [("/products", "ProductList"), ("/discounts", "DiscountList"), ("/vouchers", "VoucherList"),
             (f"/vouchers/vo_{offers['vouchers'][0]['id']}/codes", "VoucherCodeList"),
             (f"/event_series/es_{offers['series']}/waitlist_signups", "WaitlistSignupList")]
    for path, schema in cases:
        body = (await tt.get(f"{BASE}{path}", headers=seed.auth)).json()
        validator = Draft202012Validator({**spec, "$ref": f"#/components/schemas/{schema}"})
        assert body["data"] and not [e.message for e in validator.iter_errors(body)], path


@pytest.mark.parametrize("path", ["/v1/products", "/v1/vouchers/vo_3/codes", "/v1/event_series/es_4/waitlist_signups"])
def test_a_recorded_request_reads_back_into_the_same_request(path):
    from dialects.equaticket import client as equaticket
    from dialects.tickettailor import client

    params = [("starting_after", "x_9"), ("limit", "5")]
    request = client.describe("GET", path, params)
    assert request is not None and not request["unsupported"]
    assert client.render(request, request["position"]) == ("GET", path, params)
    with pytest.raises(LookupError, match="Equaticket has no"):  # NoEquivalent, with the reason
        equaticket.render(request)


async def test_a_series_lists_the_vouchers_and_products_it_can_use(tt, seed, offers, conn):
    """``voucher_ids`` and ``add_ons``: those naming the series and those for every series, oldest
    first; one named for another series only is that series' alone."""
    other = (await make_event(conn, seed.scope))["series_id"]
    elsewhere = T0 + timedelta(seconds=9)
    voucher = await vouchers.create_voucher(conn, seed.scope, parse(VoucherCreate, {
        "name": "Elsewhere", "value": 500, "currency": "GBP", "series_ids": [other], "codes": ["EL"]}), elsewhere)
    product = await products.create_product(conn, seed.scope, parse(ProductCreate, {
        "name": "Elsewhere", "price": 100, "series_ids": [other]}), elsewhere)
    ours = (await tt.get(f"{BASE}/event_series/es_{offers['series']}", headers=seed.auth)).json()
    assert ours["voucher_ids"] == [f"vo_{v['id']}" for v in offers["vouchers"]]
    assert ours["add_ons"] == [f"pr_{p['id']}" for p in offers["products"]]
    theirs = (await tt.get(f"{BASE}/event_series/es_{other}", headers=seed.auth)).json()
    assert theirs["voucher_ids"] == [f"vo_{v['id']}" for v in (*offers["vouchers"][1:], voucher)]
    assert theirs["add_ons"] == [f"pr_{p['id']}" for p in (*offers["products"], product)]

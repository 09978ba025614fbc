"""Hostile query strings and path ids on every list and detail: the dialect's documented error."""

from __future__ import annotations

import pytest

HUGE = "9" * 30
LIMITS = ["limit=" + HUGE, "limit=-5", "limit=%205", "limit=5%20", "limit=", "limit=5&limit=500", "limit=1e3"]
SMART_PAGES = ["page=" + HUGE, "page=-1", "page=", "page=1&page=2", "dateTo=", "dateFrom=", "dateTo=x&dateTo=y"]
CURSORS = ["%FF%FE", "x" * 10_000, "eyJ9.garbage", "%00", "..%2F"]


def smart_refused(response) -> bool:
    body = response.json()
    return response.status_code == 400 and body["error"] == "Invalid filters" and body["details"]


@pytest.mark.parametrize("query", [q for q in LIMITS if q != "limit=" + HUGE] + SMART_PAGES)
async def test_ticketsmart_refuses_what_its_document_forbids(http, keys, query):
    smart = keys["ticketsmart"]
    response = await http.get(f"{smart.base}/events?{query}", headers=smart.headers)
    assert smart_refused(response), (query, response.text)


async def test_ticketsmart_caps_a_large_limit_as_documented(http, keys):
    smart = keys["ticketsmart"]
    response = await http.get(f"{smart.base}/events?limit=100000", headers=smart.headers)
    assert response.status_code == 200 and response.json()["pagination"]["limit"] == 100


@pytest.mark.parametrize("path", ["events", "orders", "issued_tickets"])
@pytest.mark.parametrize("query", LIMITS + [f"starting_after={c}" for c in CURSORS]
                         + [f"ending_before={c}" for c in CURSORS] + ["starting_after=ev_99999999999999999999"])
async def test_ticket_tailor_lists_refuse_bad_paging(http, keys, path, query):
    tailor = keys["tickettailor"]
    response = await http.get(f"{tailor.base}/{path}?{query}", headers=tailor.headers)
    assert response.status_code == 400, (query, response.text)
    assert response.json()["error_code"] == "Bad Request"


@pytest.mark.parametrize("path", ["events", "orders", "attendees", "webhooks/subscriptions"])
@pytest.mark.parametrize("query", LIMITS + [f"cursor={c}" for c in CURSORS])
async def test_equaticket_lists_refuse_bad_paging(http, keys, path, query):
    equa = keys["equaticket"]
    response = await http.get(f"{equa.base}/{path}?{query}", headers=equa.headers)
    assert response.status_code == 400, (query, response.text)
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("ident", ["99999999999999999999", "-1", "0", "1e5", "%00", "x" * 5000])
async def test_ids_out_of_range_are_not_found(http, keys, ident):
    cases = [
        ("ticketsmart", f"/events/evt_{ident}", lambda b: b == {"error": "Event not found"}),
        ("tickettailor", f"/events/ev_{ident}", lambda b: b["error_code"] == "Not Found"),
        ("tickettailor", f"/orders/or_{ident}", lambda b: b["error_code"] == "Not Found"),
        ("equaticket", f"/events/evt_{ident}", lambda b: b["error"]["code"] == "not_found"),
        ("equaticket", f"/orders/ord_{ident}", lambda b: b["error"]["code"] == "not_found"),
    ]
    for name, path, shaped in cases:
        d = keys[name]
        response = await http.get(d.base + path, headers=d.headers)
        assert response.status_code == 404 and shaped(response.json()), (name, path, response.text)

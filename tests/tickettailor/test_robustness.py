"""No input whatsoever yields a 500 or a body outside Ticket Tailor's error format."""

from __future__ import annotations

import pytest

from tests.tickettailor.conftest import BASE, basic

ERROR_KEYS = {"status", "error_code", "message"}

AUTHENTICATED = [
    ("GET", "/orders/or_%00", 404),
    ("GET", "/orders/99999999999999999999999", 404),
    ("GET", "/orders/or_0", 404),
    ("GET", "/orders/ev_1", 404),
    ("GET", "/orders/%FF%FE", 404),
    ("GET", "/events/ev_-1", 404),
    ("GET", "/events/ev_999999999999999999", 404),
    ("GET", "/events/" + "9" * 5000, 404),
    ("GET", "/issued_tickets/it_1e5", 404),
    ("GET", "/issued_tickets/%20", 404),
    ("GET", "/orders?limit=%FF", 400),
    ("GET", "/orders?starting_after=%FF%FE", 400),
    ("GET", "/orders?created_at=1&created_at=x", 400),
    ("GET", "/issued_tickets?email=%FF&event_id=1", 200),
    ("GET", "/issued_tickets?barcode=%00&event_id=1", 400),
    ("GET", "/events?limit=1&limit=2&starting_after[]=x", 200),
    ("GET", "/orders?" + "x=1&" * 2000, 200),
    ("POST", "/orders", 405),
    ("DELETE", "/events/ev_1", 405),
    ("PUT", "/ping", 405),
    ("GET", "/nope", 404),
    ("GET", "/orders/1/extra", 404),
]


@pytest.mark.parametrize(("method", "path", "status"), AUTHENTICATED)
async def test_odd_requests_get_vendor_errors(tt, seed, method, path, status):
    response = await tt.request(method, f"{BASE}{path}", headers=seed.auth, content=b"{not json\x00")
    assert response.status_code == status, response.text
    body = response.json()
    if status >= 400:
        assert set(body) >= ERROR_KEYS and body["status"] == status
        assert isinstance(body["error_code"], str) and isinstance(body["message"], str)


@pytest.mark.parametrize("path", ["/tickettailor/", "/tickettailor/v2/orders",
                                  "/tickettailor/v1/openapi.json/x"])
async def test_unknown_routes_without_auth_are_404_in_format(tt, path):
    response = await tt.get(path)
    assert response.status_code == 404
    assert response.json() == {"status": 404, "error_code": "Not Found",
                               "message": "The requested resource does not exist."}


async def test_other_box_offices_objects_are_404(tt, seed, make_box_office, make_key):
    other = basic(await make_key(await make_box_office(), "tickettailor"))
    for path in (f"/orders/or_{seed.orders[0]['id']}", f"/events/ev_{seed.event['id']}"):
        response = await tt.get(f"{BASE}{path}", headers=other)
        assert response.status_code == 404
        assert response.json()["error_code"] == "Not Found"
        assert response.headers["x-rate-limit-limit"] == "2000"


async def test_head_is_served_like_get(tt, seed):
    response = await tt.head(f"{BASE}/ping", headers=seed.auth)
    assert response.status_code == 200

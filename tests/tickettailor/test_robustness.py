"""No input whatsoever yields a 500 or a body outside Ticket Tailor's error format."""

from __future__ import annotations

import pytest

from tests.tickettailor.conftest import BASE, basic

ERROR_KEYS = {"status", "error_code", "message"}

NOT_FOUND = ["/orders/or_%00", "/orders/99999999999999999999999", "/orders/or_0", "/orders/ev_1", "/orders/%FF%FE",
             "/events/ev_-1", "/events/ev_999999999999999999", "/events/" + "9" * 5000, "/issued_tickets/it_1e5",
             "/issued_tickets/%20", "/nope", "/orders/1/extra"]
# issue 17: a repeated or undocumented parameter is refused, never one value taken or ignored
BAD_REQUEST = ["/orders?limit=%FF", "/orders?starting_after=%FF%FE", "/orders?created_at=1&created_at=x",
               "/issued_tickets?barcode=%00&event_id=1", "/events?limit=1&limit=2&starting_after[]=x",
               "/orders?" + "x=1&" * 2000]
SERVED = ["/issued_tickets?email=%FF&event_id=1"]
WRONG_METHOD = [("POST", "/orders"), ("DELETE", "/events/ev_1"), ("PUT", "/ping")]
AUTHENTICATED = [
    *(("GET", path, 404) for path in NOT_FOUND),
    *(("GET", path, 400) for path in BAD_REQUEST),
    *(("GET", path, 200) for path in SERVED),
    *((method, path, 405) for method, path in WRONG_METHOD),
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
async def test_unknown_routes_ask_for_a_key_then_are_404_in_format(tt, seed, path):
    # issue 19: an unknown route without credentials answers 401 like the rest
    refused = await tt.get(path)
    assert refused.status_code == 401 and refused.json()["error_code"] == "Unauthorized"
    response = await tt.get(path, headers=seed.auth)
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

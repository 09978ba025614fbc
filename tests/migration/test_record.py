"""The recording proxy (in-process, upstream = the test app) and the redaction rules."""

from __future__ import annotations

import httpx
import orjson

from gateway.migration.record import read_capture, recording_app
from gateway.migration.redact import Redactor
from tests.migration.conftest import PREFIX


def proxy_client(app, upstream_app, capture, redactor, dialect="equaticket") -> httpx.AsyncClient:
    upstream = httpx.AsyncClient(transport=httpx.ASGITransport(app=upstream_app))
    proxy = recording_app(f"http://testserver{PREFIX[dialect]}", dialect, capture, redactor, upstream)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy), base_url="http://proxy")


async def test_proxy_forwards_unchanged_and_records_redacted(app, vendor, tmp_path):
    capture, key = tmp_path / "c.jsonl", vendor["keys"]["equaticket"]
    async with proxy_client(None, app, capture, Redactor("s")) as client:
        direct = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver/equaticket")
        headers = {"Authorization": f"Bearer {key}"}
        via_proxy = await client.get("/api/v1/orders", params={"limit": 2}, headers=headers)
        straight = await direct.get("/api/v1/orders", params={"limit": 2}, headers=headers)
        await client.get("/api/v1/orders", params={"buyer_email": "buyer00@mail.test"}, headers=headers)
        posted = await client.post("/api/v1/events", headers=headers, content=b'{"title": "x", "note": "me@x.org"}')
    assert via_proxy.status_code == 200 and via_proxy.json() == straight.json()
    assert "@mail.test" in via_proxy.text  # the client gets the real data
    assert posted.status_code == 400  # the unknown field is refused upstream, and recorded
    text = capture.read_text()
    assert key not in text and "@mail.test" not in text and "me@x.org" not in text and "7700" not in text
    header, exchanges = read_capture(capture)
    assert header["dialect"] == "equaticket" and len(exchanges) == 3
    first = exchanges[0]
    assert first["request"]["headers"]["authorization"].startswith("redacted-")
    assert first["response"]["status"] == 200 and first["latency_ms"] > 0
    order = first["response"]["body"]["data"][0]
    assert order["buyer_email"].endswith("@example.invalid") and order["buyer_name"].startswith("Person-")
    assert order["line_items"][0]["name"] in ("GA", "VIP")  # names of things are not personal
    assert exchanges[1]["request"]["query"][0][1] == Redactor("s").pseudonym("email", "buyer00@mail.test")
    assert exchanges[2]["request"]["body"]["note"].endswith("@example.invalid")


async def test_unreachable_upstream_is_a_recorded_502(tmp_path):
    async def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    capture = tmp_path / "c.jsonl"
    upstream = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    proxy = recording_app("http://down.test", "ticketsmart", capture, Redactor(), upstream)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy), base_url="http://proxy") as client:
        response = await client.get("/api/v1/events")
    assert response.status_code == 502
    assert read_capture(capture)[1][0]["response"] == {"status": 502, "error": "ConnectError"}


def test_pseudonyms_are_consistent_and_keyed():
    a, b = Redactor("one"), Redactor("two")
    assert a.pseudonym("email", "Ada@Example.com") == a.pseudonym("email", "ada@example.com")
    assert a.pseudonym("email", "ada@example.com") != b.pseudonym("email", "ada@example.com")
    assert a.pseudonym("phone", "+44 7700 900123").startswith("+1555")
    assert a.pseudonym("email", a.pseudonym("email", "x@y.zz")) == a.pseudonym("email", "x@y.zz")  # idempotent


def test_personal_fields_by_key_and_context():
    r = Redactor("k")
    body = {"name": "Summer Gala", "buyer_details": {"name": "Ada Lovelace", "phone": "0123",
                                                     "address": {"address_1": "1 Road", "postal_code": "AB1"}},
            "venue": {"name": "Hall", "postal_code": "N1"}, "secret": "whsec_abc",
            "description": "mail ada@example.com or use ts_sk_live_abcdefghijklmnop"}
    out = r.value(body)
    assert out["name"] == "Summer Gala" and out["venue"] == {"name": "Hall", "postal_code": "N1"}
    assert out["buyer_details"]["name"].startswith("Person-") and out["buyer_details"]["phone"].startswith("+1555")
    assert out["buyer_details"]["address"]["address_1"].startswith("Address-")
    assert out["secret"].startswith("redacted-")
    assert "ada@example.com" not in out["description"] and "ts_sk_live_" not in out["description"]
    assert orjson.dumps(r.headers({"X-Api-Key": "ts_sk_live_x", "Accept": "a"})) == orjson.dumps(
        {"X-Api-Key": r.pseudonym("secret", "ts_sk_live_x"), "Accept": "a"})

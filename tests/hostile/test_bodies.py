"""Hostile request bodies on every write of every dialect and the operator API: each gets its
API's documented error (never a 500), and the box office holds no half-written row after."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hostile.conftest import ADMIN, counts

OVER_LIMIT = b'{"title": "' + b"x" * 1_100_000 + b'"}'
NESTED = b'{"title": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
# (name, body, content type): each a JSON object where the dialect expects one
CORPUS: list[tuple[str, bytes, str]] = [
    ("invalid utf-8", b'{"title": "\xff\xfe\xfd"}', "application/json"),
    ("nested 10000 deep", NESTED, "application/json"),
    ("1e309", b'{"title": 1e309, "price": 1e309, "quantity": 1e309, "quantity_total": 1e309}', "application/json"),
    ("2**63", b'{"title": "t", "price": 9223372036854775808, "quantity": 9223372036854775808,'
              b' "quantity_total": 9223372036854775808}', "application/json"),
    ("NUL", b'{"title": "a\\u0000b", "name": "a\\u0000b", "url": "https://a\\u0000b/"}', "application/json"),
    ("lone surrogate", b'{"title": "\\ud800", "name": "\\udfff", "description": "\\ud800x"}', "application/json"),
    ("text/plain", b'{"title": "t"}', "text/plain"),
    ("latin-1", b'{"title": "t"}', "application/json; charset=latin-1"),
    ("not an object", b"[]", "application/json"),
    ("empty", b"", "application/json"),
]


def equaticket_error(body: Any) -> bool:
    error = body["error"]
    return error["code"] == "validation_error" and bool(error["message"]) and error["request_id"].startswith("req_")


async def targets(http: Any, keys: Any, make_event: Any, box_office: Any) -> list[tuple[str, str, dict[str, str]]]:
    """(method, url, headers) of every write that takes a body."""
    event = await make_event(box_office)
    smart, equa = keys["ticketsmart"], keys["equaticket"]
    type_id = (await http.get(f"{equa.base}/events/evt_{event['id']}/ticket-types", headers=equa.headers)
               ).json()["data"][0]["id"]
    return [
        ("POST", f"{smart.base}/events", smart.headers),
        ("PATCH", f"{smart.base}/events/evt_{event['id']}", smart.headers),
        ("POST", f"{equa.base}/events", equa.headers),
        ("PATCH", f"{equa.base}/events/evt_{event['id']}", equa.headers),
        ("POST", f"{equa.base}/events/evt_{event['id']}/ticket-types", equa.headers),
        ("PATCH", f"{equa.base}/events/evt_{event['id']}/ticket-types/{type_id}", equa.headers),
        ("POST", f"{equa.base}/webhooks/subscriptions", equa.headers),
        ("POST", "/admin/v1/box-offices", ADMIN),
        ("POST", f"/admin/v1/box-offices/{box_office['slug']}/orders", ADMIN),
    ]


def documented(url: str, status: int, body: Any, *, too_large: bool = False) -> bool:
    """The API's own error shape, with its documented status for a refused body."""
    if url.startswith("/ticketsmart"):
        return status == (413 if too_large else 400) and isinstance(body["error"], str) and bool(body["error"])
    if url.startswith("/equaticket"):
        return status == 400 and equaticket_error(body)
    error = body["error"]  # the operator API
    codes = ("payload_too_large",) if too_large else ("bad_request", "validation_error")
    return status == (413 if too_large else 400) and error["code"] in codes and bool(error["message"])


@pytest.mark.parametrize(("name", "raw", "content_type"), CORPUS, ids=[c[0] for c in CORPUS])
async def test_hostile_bodies_get_the_documented_error(http, keys, make_event, box_office, conn, name, raw,
                                                       content_type):
    writes = await targets(http, keys, make_event, box_office)
    before = await counts(conn, box_office["id"])
    for method, url, headers in writes:
        if name == "empty" and "ticket-types" not in url and method == "PATCH" and url.startswith("/equaticket"):
            continue  # an empty PATCH body is Equaticket's documented no-op update
        response = await http.request(method, url, content=raw, headers={**headers, "content-type": content_type})
        assert documented(url, response.status_code, response.json()), (name, method, url, response.text[:300])
    assert await counts(conn, box_office["id"]) == before


async def test_a_body_over_the_limit_is_refused_in_each_format(http, keys, make_event, box_office, conn):
    writes = await targets(http, keys, make_event, box_office)
    before = await counts(conn, box_office["id"])
    for method, url, headers in writes:
        response = await http.request(method, url, content=OVER_LIMIT,
                                      headers={**headers, "content-type": "application/json"})
        assert documented(url, response.status_code, response.json(), too_large=True), (url, response.text[:300])
        assert "too large" in response.text
    assert await counts(conn, box_office["id"]) == before


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "application/json;charset=UTF-8", "application/merge-patch+json", None])
async def test_json_bodies_are_read_when_declared_as_utf8_json(http, keys, content_type):
    smart = keys["ticketsmart"]
    headers = {**smart.headers, **({"content-type": content_type} if content_type else {})}
    response = await http.post(f"{smart.base}/events", headers=headers,
                               content=b'{"title": "Caf\xc3\xa9", "startsAt": "2031-01-01T00:00:00Z"}')
    assert response.status_code == 201, response.text
    assert "Café" in response.content.decode()

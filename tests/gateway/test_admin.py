"""The operator HTTP API under /admin/v1."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Mount

from core.errors import (
    CoreError,
    KeyLimitReached,
    NotFound,
    PlanRequired,
    SlugTaken,
    SoldOut,
    TermsRequired,
    ValidationFailed,
)
from core.models import Scope
from dialects.base import AuthFailed, BadRequest, MethodNotAllowed, RouteNotFound, rule_for
from gateway.admin import ADMIN_ERRORS, ROUTES, admin_app, error_response
from tests.factories import event_with_type

AUTH = {"authorization": "Bearer test-admin-token-0123456789"}


@pytest.fixture
async def admin(gateway) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=[Mount("/admin/v1", app=admin_app(gateway))])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t/admin/v1",
                                 headers=AUTH) as c:
        yield c


async def _office(admin: httpx.AsyncClient, **extra: object) -> str:
    slug = f"adm-{uuid.uuid4().hex[:10]}"
    made = await admin.post("/box-offices", json={"name": "Admin Test", "slug": slug, "plan": "growth",
                                                 "api_terms_accepted": True, **extra})
    assert made.status_code == 201, made.text
    return slug


async def _event(conn, slug: str) -> tuple[int, int]:
    office = await conn.fetchval("SELECT id FROM box_offices WHERE slug = $1", slug)
    return await event_with_type(conn, Scope(office, True), title="Gig", price=1500, quantity=3)


async def test_admin_requires_the_token(admin):
    refused = await admin.get("/box-offices", headers={"authorization": "Bearer nope"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"


async def test_keys_lifecycle(admin):
    slug = await _office(admin)
    made = await admin.post(f"/box-offices/{slug}/keys", json={"dialect": "equaticket", "mode": "test",
                                                              "scopes": ["events:read"]})
    assert made.status_code == 201
    key = made.json()["data"]
    assert key["secret"].startswith("sk_test_") and key["scopes"] == ["events:read"]
    listed = (await admin.get(f"/box-offices/{slug}/keys")).json()["data"]
    assert [k["id"] for k in listed] == [key["id"]] and "secret" not in listed[0]
    revoked = await admin.post(f"/keys/{key['id']}/revoke", json={})
    assert revoked.json()["data"]["revoked_at"] is not None


async def test_equaticket_key_needs_api_terms(admin):
    slug = await _office(admin, api_terms_accepted=False)
    refused = await admin.post(f"/box-offices/{slug}/keys", json={"dialect": "equaticket"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "api_terms_required"


async def test_ticketsmart_key_limit(admin):
    slug = await _office(admin)
    for _ in range(10):
        assert (await admin.post(f"/box-offices/{slug}/keys", json={"dialect": "ticketsmart"})).status_code == 201
    refused = await admin.post(f"/box-offices/{slug}/keys", json={"dialect": "ticketsmart"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "key_limit_reached"


async def test_orders_refunds_voids_and_check_ins(admin, conn):
    slug = await _office(admin)
    event_id, type_id = await _event(conn, slug)
    order = await admin.post(f"/box-offices/{slug}/orders", json={
        "event": f"ev_{event_id}", "tickets": [f"tt_{type_id}:2"], "email": "buyer@example.com"})
    assert order.status_code == 201, order.text
    body = order.json()["data"]
    assert body["total"] == 3000 and len(body["tickets"]) == 2
    first, second = body["tickets"]
    checked = await admin.post(f"/box-offices/{slug}/tickets/{first['barcode']}/checkin", json={"nonce": "n1"})
    assert checked.json()["data"]["new_check_in"] is True
    again = await admin.post(f"/box-offices/{slug}/tickets/it_{first['id']}/checkin", json={"nonce": "n1"})
    assert again.json()["data"]["new_check_in"] is False
    voided = await admin.post(f"/box-offices/{slug}/tickets/{second['id']}/void", json={})
    assert voided.json()["data"]["status"] == "void"
    refund = await admin.post(f"/box-offices/{slug}/orders/or_{body['id']}/refund", json={"amount": 1000})
    assert refund.json()["data"]["refund_amount"] == 1000
    sold_out = await admin.post(f"/box-offices/{slug}/orders", json={
        "event": str(event_id), "tickets": [f"{type_id}:3"], "email": "late@example.com"})
    assert sold_out.status_code == 422 and sold_out.json()["error"]["code"] == "sold_out"


@pytest.mark.parametrize("body", [
    [], "x", {"tickets": "tt_1"}, {"event": 5, "tickets": [7], "email": "a@b.c"},
    {"event": "nope", "tickets": ["tt_1"], "email": "a@b.c"}, {"unknown": 1},
])
async def test_bad_order_input_is_a_clear_error(admin, body):
    slug = await _office(admin)
    response = await admin.post(f"/box-offices/{slug}/orders", json=body)
    assert 400 <= response.status_code < 500 and "error" in response.json()


async def test_bad_json_and_unknown_box_office(admin):
    bad = await admin.post("/box-offices", content=b"{", headers={"content-type": "application/json"})
    assert bad.status_code == 400
    missing = await admin.get("/box-offices/none-such/keys")
    assert missing.status_code == 404
    dup = await _office(admin)
    taken = await admin.post("/box-offices", json={"name": "x", "slug": dup})
    assert taken.status_code == 409


async def test_reset_test_data_keeps_live_data(admin, conn):
    from core import events
    from core.models import EventCreate, Scope, parse

    slug = await _office(admin)
    office = await conn.fetchval("SELECT id FROM box_offices WHERE slug = $1", slug)
    data = parse(EventCreate, {"title": "Either", "starts_at": "2031-01-01T20:00:00Z"})
    live = await events.create_event(conn, Scope(office, True), data)
    await events.create_event(conn, Scope(office, False), data)
    reset = await admin.post(f"/box-offices/{slug}/reset-test-data", json={})
    assert reset.status_code == 201 and reset.json()["data"]["deleted"]["events"] == 1
    remaining = await conn.fetch("SELECT id FROM events WHERE box_office_id = $1", office)
    assert [r["id"] for r in remaining] == [live["id"]]
    series = await conn.fetch("SELECT id FROM event_series WHERE box_office_id = $1", office)
    assert [r["id"] for r in series] == [live["series_id"]]  # the test-mode event's series went with it


def _request(method: str = "POST", path: str = "/admin/v1/x") -> Request:
    return Request({"type": "http", "method": method, "path": path, "headers": [], "query_string": b""})


@pytest.mark.parametrize(("exc", "status", "code"), [
    (AuthFailed("admin token"), 401, "unauthorized"),
    (BadRequest("Invalid JSON body"), 400, "bad_request"),
    (RouteNotFound(), 404, "not_found"),
    (MethodNotAllowed("GET"), 405, "http_error"),
    (ValidationFailed.single("dialect", "is required"), 400, "validation_error"),
    (NotFound("box_office"), 404, "not_found"),
    (SlugTaken("x"), 409, "slug_taken"),
    (TermsRequired(), 403, "api_terms_required"),
    (PlanRequired("upgrade"), 403, "plan_required"),
    (SoldOut("gone"), 422, "sold_out"),
    (KeyLimitReached("ten"), 422, "key_limit_reached"),
    (CoreError("other"), 422, "error"),
    (RuntimeError("bug"), 500, "internal_error"),
])
def test_the_error_table_has_a_row_for_each_case(exc, status, code):
    response = error_response(_request(), exc)
    body = orjson.loads(response.body)["error"]
    assert (response.status_code, body["code"]) == (status, code)
    assert ("fields" in body) is isinstance(exc, ValidationFailed)
    assert rule_for(ADMIN_ERRORS, exc).unexpected is (status == 500)  # only a bug is logged with its traceback


async def test_unknown_paths_and_methods_answer_in_the_admin_format(admin):
    missing = await admin.get("/no-such-thing")
    assert (missing.status_code, missing.json()) == (404, {"error": {"code": "not_found", "message": "Not Found"}})
    wrong = await admin.get("/keys/key_1/revoke")
    assert (wrong.status_code, wrong.json()) == (
        405, {"error": {"code": "http_error", "message": "Method Not Allowed"}})


async def test_validation_errors_name_each_field(admin):
    slug = await _office(admin)
    refused = await admin.post(f"/box-offices/{slug}/keys", json={"dialect": 5, "mode": "x", "extra": 1})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "validation_error"
    assert {f["field"] for f in refused.json()["error"]["fields"]} == {"dialect", "mode", "extra"}
    path_in_body = await admin.post(f"/box-offices/{slug}/keys", json={"dialect": "equaticket", "box_office": "x"})
    assert path_in_body.status_code == 400
    assert path_in_body.json()["error"]["fields"] == [{"field": "box_office", "message": "unknown field"}]


def test_every_route_is_one_operation_on_its_request_model():
    import typing

    assert len({(r.method, r.path) for r in ROUTES}) == len(ROUTES)
    for route in ROUTES:
        hints = typing.get_type_hints(route.operation)
        assert hints["req"] is route.model, route.path
        params = set(re.findall(r"{(\w+)}", route.path))
        assert params <= set(route.model.model_fields), route.path

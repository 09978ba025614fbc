"""The dialect's tables: the objects as declared are what the document describes, what the
server sends and what the client reads; every failure has its row in the error table."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from core import errors as core
from dialects import base
from dialects.spec import WireObject, check
from dialects.ticketsmart import client as vendor
from dialects.ticketsmart import routes
from dialects.ticketsmart.errors import ERRORS, InvalidFilters, StatusChangeRefused, WireValidationFailed
from dialects.ticketsmart.openapi import document
from dialects.ticketsmart.serializers import AVAILABILITY, AVAILABILITY_LINE, EVENT, TICKET_TYPE
from tests.ticketsmart.conftest import BASE

OBJECTS = (EVENT, TICKET_TYPE, AVAILABILITY)


@pytest.mark.parametrize("obj", OBJECTS, ids=lambda o: o.name)
def test_document_schema_of_each_object_is_its_table(obj: WireObject) -> None:
    assert document()["components"]["schemas"][obj.name] == obj.schema()


def test_availability_lines_are_documented_by_their_table() -> None:
    schema = document()["components"]["schemas"][AVAILABILITY.name]
    assert schema["properties"]["ticketTypes"]["items"] == AVAILABILITY_LINE.schema()


def test_every_rendered_field_is_in_the_projection_in_the_vendors_order() -> None:
    for obj in (EVENT, TICKET_TYPE, AVAILABILITY_LINE):
        assert obj.projection.names == obj.names, obj.name


async def test_served_objects_have_exactly_the_declared_fields(client: Any, auth: dict[str, str]) -> None:
    r = await client.post(f"{BASE}/events", headers=auth, json={
        "title": "Show", "startsAt": "2031-09-01T19:00:00Z", "ticketTypes": [{"name": "GA", "quantity": 5}]})
    event = r.json()["event"]
    assert check(EVENT, event) == []
    assert check(TICKET_TYPE, event["ticketTypes"][0]) == []
    types = (await client.get(f"{BASE}/events/{event['id']}/ticket-types", headers=auth)).json()
    assert check(TICKET_TYPE, types["ticketTypes"][0]) == []
    availability = (await client.get(f"{BASE}/events/{event['id']}/availability", headers=auth)).json()
    assert check(AVAILABILITY, availability) == []
    assert check(AVAILABILITY_LINE, availability["ticketTypes"][0]) == []


async def test_the_client_reads_a_served_event_into_core_names(client: Any, auth: dict[str, str]) -> None:
    r = await client.post(f"{BASE}/events", headers=auth, json={
        "title": "Show", "startsAt": "2031-09-01T19:00:00Z", "category": "MUSIC",
        "ticketTypes": [{"name": "GA", "quantity": 5, "saleEndsAt": "2031-09-01T18:00:00.250Z"}]})
    parsed = vendor.parse_event(r.json()["event"])
    assert (parsed["status"], parsed["category"], parsed["starts_at"]) == ("draft", "music", "2031-09-01T19:00:00Z")
    [tt] = parsed["ticket_types"]
    assert (tt["event_id"], tt["quantity"], tt["sale_ends_at"]) == (parsed["source_id"], 5, "2031-09-01T18:00:00Z")


def test_the_clients_endpoints_are_the_route_table() -> None:
    assert [(m, p) for m, p, _, _ in vendor.ROUTES] == [
        (r.method, r.path.replace("{id_or_slug}", "(?P<id>[^/]+)")) for r in routes.ROUTES]
    described = vendor.describe("GET", "/api/v1/events/evt_3/availability", [])
    assert described is not None and (described["resource"], described["id"]) == ("availability", "evt_3")


def _state() -> base.LimitState:
    return base.LimitState(allowed=False, limit=60, remaining=0, reset_after=7)


CASES: list[tuple[BaseException, int]] = [
    (base.AuthFailed("x"), 401), (base.ScopeMissing(["events:write"]), 403), (base.RateLimited(_state()), 429),
    (InvalidFilters([core.FieldError("page", "bad")]), 400), (StatusChangeRefused(), 400), (base.BadRequest("x"), 400),
    (base.RouteNotFound(), 404), (base.MethodNotAllowed("GET"), 405),
    (WireValidationFailed([core.FieldError("title", "bad")]), 400), (core.ValidationFailed.single("title", "x"), 400),
    (core.NotFound("event"), 404), (core.SlugTaken("a"), 409), (core.Conflict("x"), 409),
    (core.TicketTypeHasSales(), 422),
    (core.TermsRequired(), 403), (core.PlanRequired("x"), 403), (core.CoreError("x"), 400),
    (asyncpg.DataError("x"), 400), (asyncpg.UniqueViolationError("x"), 400), (RuntimeError("bug"), 500),
]


@pytest.mark.parametrize(("exc", "status"), CASES, ids=lambda c: type(c).__name__ if isinstance(c, Exception) else "")
def test_every_failure_has_its_row(exc: BaseException, status: int) -> None:
    assert base.rule_for(ERRORS, exc).status == status


def test_only_the_catch_all_row_is_unexpected() -> None:
    assert [cls for cls, rule in ERRORS.items() if rule.unexpected] == [Exception]


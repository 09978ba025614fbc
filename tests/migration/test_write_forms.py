"""Captured writes into neutral writes and out as another dialect's requests (no server needed:
the dialects' own input parsers and wire tables do the work), and the reasons for what has no
counterpart."""

from __future__ import annotations

import pytest

from dialects.client_base import NoEquivalent
from gateway.migration.clients import client_module
from gateway.migration.redact import Redactor
from gateway.migration.replay import Outcome
from gateway.migration.run import replayer
from gateway.migration.write_forms import parse_writes, render_writes
from gateway.migration.write_translate import derived_key, equivalent_status, fill_defaults, refusals

IDS = {"evt_12": "evt_40", "tkt_3": "tkt_90", "late-show": "evt_40"}


def ref(kind: str, text: str) -> str:
    return IDS[text]


def translated(source: str, target: str, method: str, path: str, body: object = None) -> list[tuple]:
    steps = render_writes(target, parse_writes(source, method, path, body, target), ref)
    return [(s.method, s.path, s.body) for s in steps]


def test_a_ticketsmart_patch_becomes_three_equaticket_requests_in_order():
    body = {"title": "Late Show", "endsAt": "2031-09-01T23:00:00.000Z", "visibility": "UNLISTED",
            "addTicketType": {"name": "VIP", "price": 4500, "quantity": 20, "maxPerOrder": 4},
            "removeTicketTypeId": "tkt_3"}
    assert translated("ticketsmart", "equaticket", "PATCH", "/api/v1/events/late-show", body) == [
        ("PATCH", "/api/v1/events/evt_40", {"ends_at": "2031-09-01T23:00:00Z", "title": "Late Show",
                                            "visibility": "unlisted"}),
        ("POST", "/api/v1/events/evt_40/ticket-types", {"name": "VIP", "price": 4500, "quantity_total": 20,
                                                         "max_per_order": 4}),
        ("DELETE", "/api/v1/events/evt_40/ticket-types/tkt_90", None)]


def test_a_created_event_keeps_only_what_the_client_sent_under_the_targets_names():
    body = {"title": "Spring", "starts_at": "2031-09-15T18:00:00Z", "currency": "gbp", "category": "workshop",
            "ticket_types": [{"name": "GA", "price": 2500, "currency": "gbp", "quantity_total": 100}]}
    [(method, path, sent)] = translated("equaticket", "ticketsmart", "POST", "/api/v1/events", body)
    assert (method, path) == ("POST", "/api/v1/events")
    assert sent == {"title": "Spring", "startsAt": "2031-09-15T18:00:00Z", "currency": "GBP",
                    "category": "WORKSHOP", "ticketTypes": [{"name": "GA", "price": 2500, "quantity": 100}]}


@pytest.mark.parametrize(("method", "path", "body", "reason"), [
    ("POST", "/api/v1/events/evt_12/publish", None, "Equaticket publish: TicketSmart has no publish endpoint"),
    ("POST", "/api/v1/events/evt_12/cancel", None, "Equaticket cancel: TicketSmart has no cancel endpoint"),
    ("PATCH", "/api/v1/events/evt_12/ticket-types/tkt_3", {"price": 10},
     "Equaticket ticket type update: TicketSmart cannot change a ticket type"),
    ("POST", "/api/v1/events/evt_12/ticket-types", {"name": "VIP", "quantity_total": 5, "booking_fee": 150},
     "TicketSmart ticket types have no booking_fee field"),
    ("PATCH", "/api/v1/events/evt_12", {"online": True}, "TicketSmart events have no online field"),
    ("POST", "/api/v1/webhooks/subscriptions", {"url": "https://example.com/hook"},
     "webhook subscriptions exist only in Equaticket"),
    ("POST", "/api/v1/events", {"title": "No start"}, "the recorded write is one Equaticket refuses (starts_at:"),
])
def test_what_ticketsmart_cannot_express_is_listed_with_the_reason(method, path, body, reason):
    with pytest.raises(NoEquivalent) as refused:
        translated("equaticket", "ticketsmart", method, path, body)
    assert str(refused.value).startswith(reason), refused.value


def test_ticket_tailor_writes_are_listed_with_what_the_target_lacks():
    with pytest.raises(NoEquivalent) as refused:
        parse_writes("tickettailor", "POST", "/v1/event_series", "name=Comedy&currency=gbp", "equaticket")
    assert str(refused.value).startswith("Ticket Tailor POST event_series: a Ticket Tailor event series has no "
                                         "date of its own (its occurrences carry them): Equaticket has no series")
    with pytest.raises(NoEquivalent, match="TicketSmart has no check-in write"):
        parse_writes("tickettailor", "POST", "/v1/check_ins", "issued_ticket_id=it_1&quantity=1", "ticketsmart")


def test_a_refused_ticketsmart_write_is_not_translated():
    with pytest.raises(NoEquivalent, match="one TicketSmart refuses"):
        parse_writes("ticketsmart", "PATCH", "/api/v1/events/evt_12", {"status": "PUBLISHED"}, "equaticket")


def test_derived_idempotency_keys_are_stable_per_capture_entry_and_step():
    assert derived_key("capture-a", 3, 0) == derived_key("capture-a", 3, 0)
    keys = {derived_key("capture-a", 3, 0), derived_key("capture-a", 3, 1), derived_key("capture-a", 4, 0),
            derived_key("capture-b", 3, 0)}
    assert len(keys) == 4 and all(len(k) == 36 for k in keys)  # a UUID, as Equaticket's keys are


@pytest.mark.parametrize(("path", "reason"), [
    ("/v1/event_series", "Ticket Tailor GET event_series: Equaticket has no event series"),
    ("/v1/event_series/es_4/events", "Ticket Tailor GET event_series: the occurrences of a series: Equaticket"),
    ("/v1/check_ins", "Ticket Tailor GET check_ins: Equaticket has no check-in records"),
    ("/v1/vouchers/vo_1/codes", "Ticket Tailor GET vouchers: Equaticket has no vouchers"),
    ("/v1/box_office", "Ticket Tailor GET box_office: Equaticket has no box office endpoint"),
    ("/v1/nothing_here", "not a documented tickettailor endpoint"),
])
async def test_reads_beyond_the_ticket_tailor_reference_page_are_listed_with_the_reason(path, reason):
    source, target = client_module("tickettailor"), client_module("equaticket")
    outcome = await replayer(source, target, None, Redactor(None), None).one(
        {"seq": 1, "request": {"method": "GET", "path": path}, "response": {"status": 200, "body": {}}})
    assert outcome.no_equivalent is not None and outcome.no_equivalent.startswith(reason), outcome.no_equivalent


def test_refusals_pair_the_codes_both_vendors_give_the_same_core_error():
    assert refusals("ticketsmart", "equaticket")[422] == {409, 422}  # a sold type's removal is 409 there
    assert refusals("ticketsmart", "equaticket")[404] == {404}
    assert 500 not in refusals("equaticket", "ticketsmart")
    refused = Outcome(1, "PATCH /api/v1/events/{id}", 422, None, target_status=409)
    refused.equivalent_status = equivalent_status("ticketsmart", "equaticket", refused)
    unlike = Outcome(2, "PATCH /api/v1/events/{id}", 422, None, target_status=404)
    unlike.equivalent_status = equivalent_status("ticketsmart", "equaticket", unlike)
    half = Outcome(3, "PATCH /api/v1/events/{id}", 200, None, target_status=409)
    half.equivalent_status = equivalent_status("ticketsmart", "equaticket", half)
    assert (refused.status_mismatch, unlike.status_mismatch, half.status_mismatch) == (False, True, True)


def test_an_event_created_without_a_currency_takes_the_one_the_capture_answered():
    writes = parse_writes("equaticket", "POST", "/api/v1/events", {"title": "Gig", "starts_at": "2031-01-02T20:00:00Z"},
                          "ticketsmart")
    filled = fill_defaults(client_module("ticketsmart"), writes, {"currency": "GBP"})
    [step] = render_writes("ticketsmart", filled, ref)
    assert step.body == {"title": "Gig", "startsAt": "2031-01-02T20:00:00Z", "currency": "GBP"}
    [unfilled] = render_writes("ticketsmart", writes, ref)  # without it TicketSmart would take USD
    assert "currency" not in (unfilled.body or {})

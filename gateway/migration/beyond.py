"""Reads of Ticket Tailor's live API beyond its reference page, and why another dialect has none.

Clients of the live Ticket Tailor API also read event series, check-ins, products, discounts,
vouchers and the box office (see the vendor's public API at https://developers.tickettailor.com).
None of those is a concept the other dialects show: each row says what the target lacks, so a
replayed read of one is listed with that reason instead of "not a documented endpoint".
"""

from __future__ import annotations

import re

SERIES = ("{target} has no event series: every event stands alone, and a Ticket Tailor series (the "
          "dates, default ticket types and counts its occurrences share) has no counterpart there")
REASONS: tuple[tuple[str, str], ...] = (
    (r"/v1/event_series(/[^/]+)?", SERIES),
    (r"/v1/event_series/[^/]+/events", "the occurrences of a series: " + SERIES),
    (r"/v1/event_series/[^/]+/waitlist_signups", "{target} has no waiting lists"),
    (r"/v1/check_ins", "{target} has no check-in records (a Ticket Tailor check-in has its own id, quantity and "
                       "time; Equaticket only flags an attendee as checked_in, TicketSmart has no tickets)"),
    (r"/v1/products", "{target} sells no products besides tickets"),
    (r"/v1/discounts", "{target} has no discounts"),
    (r"/v1/vouchers(/[^/]+/codes)?", "{target} has no vouchers"),
    (r"/v1/box_office", "{target} has no box office endpoint (the key's box office is implied by the key)"),
)
VENDORS = {"ticketsmart": "TicketSmart", "equaticket": "Equaticket", "tickettailor": "Ticket Tailor"}


def no_equivalent(source: str, target: str, method: str, path: str) -> str | None:
    """Why a read of Ticket Tailor's live API beyond the reference page has no counterpart, or None."""
    if source != "tickettailor" or method != "GET":
        return None
    for pattern, reason in REASONS:
        if re.fullmatch(pattern, path):
            endpoint = f"Ticket Tailor GET {path.split('/')[2]}"
            if target == source:
                return f"{endpoint} is beyond the reference page, which is all a Ticket Tailor replay reads"
            return f"{endpoint}: {reason.format(target=VENDORS.get(target, target))}"
    return None

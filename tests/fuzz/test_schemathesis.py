"""schemathesis (a tool nobody here wrote) against each dialect's served OpenAPI document.

Every operation, every phase and every check runs; the run must find nothing. Where a vendor
documents an answer that a check's default does not expect, that one check is widened for
those operations only, with the vendor's reason beside it (``RULES``). ``-s`` prints the
figures (operations, test cases, failures) for the report."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fuzz import harness
from tests.fuzz.harness import accepting

AUTH = {
    "ticketsmart": lambda key: {"apiKey": {"api_key": key}},
    "tickettailor": lambda key: {"basicAuth": {"username": key, "password": ""}},
    "equaticket": lambda key: {"bearer": {"bearer": key}},
}
WRITES = "POST|PATCH"
RULES: dict[str, dict[str, Any]] = {
    "ticketsmart": {"operations": [
        # an event's rules JSON Schema cannot state (an IANA time zone, ends after starts, doors
        # before start, an ISO currency): the vendor's 400 "Validation failed" with details
        accepting("400", method=WRITES, path="/events"),
        # a ticket type that has sold cannot be removed: the vendor's documented 422
        accepting("422", method="PATCH", path="/events/"),
    ]},
    "tickettailor": {"operations": [
        # starting_after / ending_before "take an existing value" (the vendor's words): an id that
        # names no object of the list is the documented 400
        accepting("400", method="GET", path="^/v1/(events|orders|issued_tickets)$"),
        # writes: rules JSON Schema cannot state (an IANA time zone, an ISO currency, an end after
        # the start, a year core stores, a check-out beyond the check-ins) are the vendor's 422
        # "Validation error"; checking in a void ticket is a 400 (docs/dialects/tickettailor.md)
        accepting("400", "422", method="POST", path="^/v1/(event_series|check_ins)"),
    ]},
    "equaticket": {
        # an unknown method on a known path is 404 not_found, like Stripe (docs/dialects/equaticket.md)
        "checks": {"unsupported_method": {"enabled": False}},
        "operations": [
            # bodies: rules JSON Schema cannot state (time order, IANA zone, ISO currency, a
            # webhook URL's host) are 400 validation_error; business rules (publishing a cancelled
            # event, an Idempotency-Key reused with other parameters) are 422 unprocessable
            accepting("400", "422", method=WRITES, path="."),
            # cursor is opaque and signed: a string the server did not issue is a 400
            accepting("400", method="GET", path="/(events|orders|attendees|subscriptions|deliveries)$"),
        ],
    },
}


@pytest.mark.parametrize("dialect", list(harness.DOCUMENTS))
def test_schemathesis_finds_nothing(dialect: str, served_app: Any, seeded: Any) -> None:
    _, keys = seeded
    figures = harness.run(dialect, served_app, harness.config(AUTH[dialect](keys[dialect]), **RULES[dialect]))
    print(figures.summary())
    assert figures.operations and figures.cases
    assert set(figures.phases) == {"examples", "coverage", "fuzzing", "stateful"}, figures.phases
    assert not figures.errors, "\n".join(figures.errors)
    assert not figures.failures, "\n".join(figures.failures)

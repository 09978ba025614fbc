"""The list's query parameters (status, search, dateFrom, dateTo, liveOnly) to core filters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from core.errors import FieldError
from core.listing import EventFilters
from dialects.ticketsmart.errors import InvalidFilters
from dialects.ticketsmart.pagination import PageRequest, page_request

STATUSES = ("DRAFT", "PUBLISHED", "SOLD_OUT", "CANCELLED", "COMPLETED", "ARCHIVED")
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
MAX_SEARCH = 200


def _statuses(raw: str | None, errors: list[FieldError]) -> tuple[str, ...]:
    if not raw:
        return ()
    wanted = [part.strip().upper() for part in raw.split(",") if part.strip()]
    bad = [s for s in wanted if s not in STATUSES]
    if bad:
        errors.append(FieldError("status", f"Invalid enum value. Expected {' | '.join(STATUSES)}"))
        return ()
    return tuple(s.lower() for s in wanted)


def _instant(params: Mapping[str, str], name: str, errors: list[FieldError]) -> datetime | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
        if moment.tzinfo is not None:
            moment.astimezone(UTC)  # an instant past year 9999 in UTC overflows here, not in the driver
    except (ValueError, OverflowError):
        errors.append(FieldError(name, "Invalid datetime: must be ISO-8601, e.g. 2026-09-01T00:00:00Z"))
        return None
    # a bare date or a time without offset is read as UTC, as JavaScript reads a date
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _search(raw: str | None, errors: list[FieldError]) -> str | None:
    if raw is None or not raw.strip():
        return None
    if "\x00" in raw or len(raw) > MAX_SEARCH:
        errors.append(FieldError("search", f"Must be at most {MAX_SEARCH} characters, without NUL"))
        return None
    return raw.strip()


def _live_only(raw: str | None, errors: list[FieldError]) -> bool:
    if raw is None or raw == "":
        return False
    value = BOOLEANS.get(raw.strip().lower())
    if value is None:
        errors.append(FieldError("liveOnly", "Expected true or false"))
        return False
    return value


def list_params(params: Mapping[str, str]) -> tuple[EventFilters, PageRequest]:
    """Filters and page of GET /events; every bad parameter is reported in one 400."""
    errors: list[FieldError] = []
    filters = EventFilters(
        statuses=_statuses(params.get("status"), errors),
        search=_search(params.get("search"), errors),
        starts_from=_instant(params, "dateFrom", errors),
        starts_to=_instant(params, "dateTo", errors),
        on_sale_only=_live_only(params.get("liveOnly"), errors),
    )
    request = page_request(params, errors)
    if errors:
        raise InvalidFilters(errors)
    return filters, request

"""Ticket Tailor's date objects: ``{date, formatted, iso, time, timezone, unix}``.

Rendered in the event's own time zone. Day and month names are spelled out here rather
than taken from ``strftime`` so the output never depends on the process locale.

Two per event and per order on every list page, and a pure function of (instant, zone):
memoized. Rendering one costs about 4.7 us in Python and about 7 us as SQL (AT TIME ZONE
and to_char per field, measured on the benchmark's orders page); a cached one 0.2 us.
Orders repeat their event's dates, so real pages hit the cache as the benchmark's do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def offset(local: datetime) -> str:
    delta = local.utcoffset()
    return _offset_text(delta.days * 86400 + delta.seconds if delta is not None else 0)


@lru_cache(maxsize=128)
def _offset_text(seconds: int) -> str:
    # a handful of distinct offsets exist; formatting each once keeps list pages cheap
    minutes = seconds // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def formatted(local: datetime) -> str:
    """Like "Fri 1 May 2020 6:00 PM"."""
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    return (f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year}"
            f" {hour}:{local.minute:02d} {half}")


@lru_cache(maxsize=8192)
def date_object(moment: datetime, timezone: str) -> dict[str, object]:
    """A shared, cached object: callers must not change it."""
    # plain formatting instead of strftime, and no copy of the datetime unless it carries microseconds
    try:
        local = moment.astimezone(zone(timezone))
    except OverflowError:
        # a stored instant so near the end of year 9999 that its local date in a far-east zone
        # would be in year 10000 (core refuses such writes now; older rows may hold one):
        # shown in UTC, so one row never takes a list down
        local = moment.astimezone(UTC)
    if local.microsecond:
        local = local.replace(microsecond=0)
    return {
        "date": f"{local.year:04d}-{local.month:02d}-{local.day:02d}",
        "formatted": formatted(local),
        "iso": local.isoformat(),
        "time": f"{local.hour:02d}:{local.minute:02d}",
        "timezone": offset(local),
        "unix": int(moment.timestamp()),
    }

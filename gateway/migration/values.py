"""Lenient readers of the values in the clients' neutral dicts: a vendor's odd value never raises.

The store reads them to fit the core's constraints; the normaliser to compare two sides.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def when(value: Any) -> datetime | None:
    """An ISO-8601 time (``Z`` or an offset; naive means UTC), or None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def count(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default


def choose(value: Any, allowed: tuple[str, ...], default: str) -> str:
    return value if value in allowed else default

"""Query-string text every dialect reads, checked once for what PostgreSQL cannot store.

A value reaches SQL only without NUL characters (PostgreSQL text cannot hold them) and within
the length its dialect bounds; anything else is a 400 naming the parameter, never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping

from dialects.base import BadRequest


def storable(value: str, max_length: int) -> bool:
    """Text PostgreSQL can hold and the dialect accepts: no NUL, at most ``max_length`` characters."""
    return "\x00" not in value and len(value) <= max_length


def repeated(params: Mapping[str, str], name: str) -> bool:
    """Whether the parameter is given more than once (``limit=5&limit=500``): no dialect's
    document defines a repeated parameter, and taking either value would be a guess."""
    getlist = getattr(params, "getlist", None)
    return getlist is not None and len(getlist(name)) > 1


def text(params: Mapping[str, str], name: str, max_length: int) -> str | None:
    """The parameter as sent (None when absent); a value that cannot be stored, or one given
    twice, is refused."""
    value = params.get(name)
    if value is not None and repeated(params, name):
        raise BadRequest(f"{name} must be given once", name)
    if value is not None and not storable(value, max_length):
        raise BadRequest(f"Invalid value for {name}", name)
    return value

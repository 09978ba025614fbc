"""Ticket Tailor's settings: ``[dialects.tickettailor]`` in the TOML file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dialects.settings import DialectSettings


class Settings(DialectSettings):
    prefix: str = "/tickettailor"
    requests_per_hour: int = Field(2000, ge=1)
    # "api": links.next is relative to the API base (/orders?...), what real clients append
    # to their base URL; "host": the documented host-relative form with the mount prefix.
    links: Literal["api", "host"] = "api"

"""TicketSmart's settings: ``[dialects.ticketsmart]`` in the TOML file."""

from __future__ import annotations

from pydantic import Field

from dialects.settings import DialectSettings


class Settings(DialectSettings):
    prefix: str = "/ticketsmart"
    requests_per_minute: int = Field(60, ge=1)

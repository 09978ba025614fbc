"""Equaticket's settings: ``[dialects.equaticket]`` in the TOML file."""

from __future__ import annotations

from pydantic import Field

from dialects.settings import DialectSettings


class Settings(DialectSettings):
    prefix: str = "/equaticket"
    plan_requests_per_minute: dict[str, int] = Field(
        default_factory=lambda: {"free": 60, "starter": 100, "growth": 300, "pro": 600}
    )
    idempotency_ttl_hours: float = Field(24, gt=0)

"""What every dialect's settings have: whether it is served, and where (mount prefix, host names).

Each dialect declares its own ``Settings`` subclass in ``dialects/<name>/settings.py``;
``gateway.config`` builds the ``[dialects.<name>]`` sections from the registry's list of them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

RESERVED_PATHS = ("healthz", "readyz", "admin", "metrics", "events")  # gateway.app routes these itself


class DialectSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    prefix: str
    hosts: tuple[str, ...] = ()  # Host names that serve the vendor's bare paths

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not value.startswith("/") or value.endswith("/") or len(value) < 2:
            raise ValueError("must start with / and not end with / (for example /ticketsmart)")
        if value.split("/")[1] in RESERVED_PATHS:
            raise ValueError(f"/{value.split('/')[1]} belongs to the gateway; choose another prefix")
        return value

"""Equaticket's Public API (Bearer keys, cursors, idempotency keys, webhooks) over the core."""

from dialects.equaticket.dialect import Equaticket

DIALECT = Equaticket

__all__ = ["DIALECT", "Equaticket"]

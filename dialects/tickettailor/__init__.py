"""The Ticket Tailor dialect: Ticket Tailor's public API (v1) over the core domain."""

from dialects.tickettailor.dialect import TicketTailor

DIALECT = TicketTailor

__all__ = ["DIALECT", "TicketTailor"]

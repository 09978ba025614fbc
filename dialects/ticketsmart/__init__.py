"""The TicketSmart dialect: ``x-api-key`` keys, camelCase JSON, page/limit lists, CORS."""

from dialects.ticketsmart.dialect import TicketSmart

DIALECT = TicketSmart

__all__ = ["DIALECT", "TicketSmart"]

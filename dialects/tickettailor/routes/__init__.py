"""The dialect's route table, one module per group of endpoints.

Every handler receives the dialect (its services, settings and reads), the request and the
authenticated principal; errors are raised and leave through errors.py.
"""

from __future__ import annotations

from dialects.base import Route
from dialects.tickettailor.routes import checkins, offers, reference, series

ROUTES: tuple[Route, ...] = (
    *reference.ROUTES,
    *series.ROUTES,
    *checkins.ROUTES,
    *offers.ROUTES,
)

"""TicketSmart fixtures: the app as served with only this dialect mounted, and a key.

Events and orders come from the root conftest's shared factories (``make_event``, ``sell``).
"""

from __future__ import annotations

from typing import Any

import pytest

BASE = "/ticketsmart/api/v1"


@pytest.fixture(scope="session")
def app(app_with: Any) -> Any:
    return app_with("ticketsmart")


@pytest.fixture
async def key(box_office: Any, make_key: Any) -> str:
    return await make_key(box_office, "ticketsmart")


@pytest.fixture
def auth(key: str) -> dict[str, str]:
    return {"x-api-key": key}

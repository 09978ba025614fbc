from __future__ import annotations

import pytest


@pytest.fixture
async def live_key(box_office, make_key) -> str:
    return await make_key(box_office, "equaticket")


@pytest.fixture
async def test_key(box_office, make_key) -> str:
    return await make_key(box_office, "equaticket", mode="test")

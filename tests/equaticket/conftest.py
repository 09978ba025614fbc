"""Equaticket fixtures: the app as served with only this dialect mounted, and keys."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def app(app_with: Any) -> Any:
    return app_with("equaticket")


@pytest.fixture
async def live_key(box_office, make_key) -> str:
    return await make_key(box_office, "equaticket")


@pytest.fixture
async def test_key(box_office, make_key) -> str:
    return await make_key(box_office, "equaticket", mode="test")

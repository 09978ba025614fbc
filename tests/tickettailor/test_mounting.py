"""Through the whole gateway app (gateway.app.build_app): the dialect mounted at /tickettailor."""

from __future__ import annotations

from tests.tickettailor.conftest import BASE


async def test_whole_app_serves_the_dialect(client, seed):
    response = await client.get(f"{BASE}/orders?limit=1", headers=seed.auth)
    assert response.status_code == 200, response.text
    assert response.json()["links"]["next"] == f"/orders?starting_after=or_{seed.orders[1]['id']}&limit=1"
    assert response.headers["x-rate-limit-limit"] == "2000"
    assert (await client.get(f"{BASE}/openapi.json")).json()["servers"] == [{"url": "/tickettailor"}]
    missing = await client.get(f"{BASE}/orders/or_1", headers={})
    assert missing.status_code == 401 and missing.json()["error_code"] == "Unauthorized"

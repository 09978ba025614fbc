"""Odd paths under a dialect's mount answer in its own format with its own headers."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import ADMIN

PATHS = ["/events/a%0Ab/availability", "/events/a%0Ab/ticket-types", "/events/..%2F", "/events/x/", "/events/",
         "/%0A/%0A", "/events/a%0D%0Ab"]


@pytest.mark.parametrize("path", PATHS)
async def test_odd_paths_answer_in_the_dialect_format(http, keys, path):
    smart = await http.get(keys["ticketsmart"].base + path, headers=keys["ticketsmart"].headers)
    assert smart.status_code == 404 and isinstance(smart.json()["error"], str)
    assert smart.headers["access-control-allow-origin"] == "*"
    tailor = await http.get("/tickettailor/v1" + path, headers=keys["tickettailor"].headers)
    assert tailor.status_code == 404 and tailor.json()["error_code"] == "Not Found"
    equa = await http.get(keys["equaticket"].base + path, headers=keys["equaticket"].headers)
    assert equa.status_code == 404 and equa.json()["error"]["code"] == "not_found"
    assert equa.json()["error"]["request_id"] == equa.headers["x-request-id"]
    admin = await http.get("/admin/v1" + path, headers=ADMIN)
    assert admin.status_code == 404 and admin.json()["error"]["code"] == "not_found"
    for response in (smart, tailor, equa, admin):
        assert response.headers["content-type"] == "application/json"
        assert response.headers["x-request-id"].startswith("req_")

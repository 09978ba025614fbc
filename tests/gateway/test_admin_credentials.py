"""The operator API's credential: a Bearer token of at least 24 characters."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from gateway.admin import admin_app
from gateway.config import ConfigError, load_settings

TOKEN = "test-admin-token-0123456789"  # tests/conftest.py's
CLI = os.path.join(os.path.dirname(sys.executable), "ticketgate")


@pytest.fixture
async def admin(gateway) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=[Mount("/admin/v1", app=admin_app(gateway))])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t/admin/v1") as c:
        yield c


@pytest.mark.parametrize("header", [TOKEN, f"Basic {TOKEN}", f"Token {TOKEN}", "Bearer", f"Bearer{TOKEN}",
                                    f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", ""])
async def test_only_the_bearer_scheme_with_the_token_is_accepted(admin, header):
    refused = await admin.get("/box-offices", headers={"authorization": header})
    assert refused.status_code == 401, header
    assert refused.json() == {"error": {"code": "unauthorized", "message": "Send the admin token as a Bearer token"}}


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"BEARER {TOKEN}"])
async def test_the_scheme_is_case_insensitive(admin, header):
    # RFC 7235: the auth-scheme is a case-insensitive token
    assert (await admin.get("/box-offices", headers={"authorization": header})).status_code == 200


@pytest.mark.parametrize("token", ["t", "change-me", "x" * 23])
def test_a_short_admin_token_is_a_settings_error(token):
    with pytest.raises(ConfigError, match=r"invalid setting admin_token: .*at least 24 characters"):
        load_settings(environ={"TICKETGATE_ADMIN_TOKEN": token})
    with pytest.raises(ConfigError, match="admin_token"):
        load_settings(environ={}, admin_token=token)


def test_a_long_token_is_kept_and_an_empty_one_means_no_operator_api():
    assert load_settings(environ={}, admin_token="x" * 24).admin_token == "x" * 24
    assert load_settings(environ={"TICKETGATE_ADMIN_TOKEN": ""}).admin_token is None


def test_serve_refuses_to_start_with_a_short_token(database_dsn, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_dsn, "TICKETGATE_ADMIN_TOKEN": "short-token"}
    refused = subprocess.run([CLI, "serve", "--port", "0"], capture_output=True, text=True, env=env,
                             timeout=60, cwd=tmp_path)
    assert refused.returncode == 2, (refused.stdout, refused.stderr)
    assert "invalid setting admin_token" in refused.stderr and "24 characters" in refused.stderr

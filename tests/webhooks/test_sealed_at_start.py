"""A production gateway's start seals the plaintext rows of before; rotation re-seals them."""

from __future__ import annotations

import pytest

from core.vault import MARKER, Vault, seal_stored
from gateway.config import ConfigError
from gateway.runtime import read_cursor_secret
from tests.core.test_vault import NEW, OLD, SECRET


async def test_start_up_seals_plaintext_rows_and_rotates(production):
    async with production.pool.acquire() as conn:  # type: ignore[union-attr]
        stored = await conn.fetchval("SELECT value FROM gateway_secrets WHERE name = 'cursor_signing'")
        assert stored.startswith(MARKER)  # the gateway's start sealed the key migration 1 wrote
        assert production.cursor_secret == production.guard.vault.reveal(stored)  # type: ignore[union-attr]
        office = await conn.fetchval("INSERT INTO box_offices (slug, name) VALUES ('vault-x', 'V') RETURNING id")
        sub = await conn.fetchval(
            "INSERT INTO webhook_subscriptions (box_office_id, livemode, url, event_types, secret)"
            " VALUES ($1, true, 'https://hooks.example.com', '{order.placed}', $2) RETURNING id", office, SECRET)
        assert await seal_stored(conn, production.guard.vault) == 1  # type: ignore[union-attr]
        rotated = Vault([NEW, *production.settings.encryption_keys])
        assert await seal_stored(conn, rotated) == 2  # the subscription and the cursor key
        assert await seal_stored(conn, rotated) == 0
        sealed = await conn.fetchval("SELECT secret FROM webhook_subscriptions WHERE id = $1", sub)
        assert Vault([NEW]).reveal(sealed) == SECRET
        assert await read_cursor_secret(conn, Vault([NEW])) == production.cursor_secret
        with pytest.raises(ConfigError, match="cursor-signing key"):
            await read_cursor_secret(conn, Vault([OLD]))
        await conn.execute("UPDATE gateway_secrets SET value = $1 WHERE name = 'cursor_signing'",
                           production.guard.vault.seal(production.cursor_secret))  # type: ignore[union-attr]
        await conn.execute("DELETE FROM box_offices WHERE id = $1", office)

"""Secrets at rest: webhook signing secrets and the cursor-signing key, sealed with Fernet.

A sealed value is stored as text, ``fernet:<token>``; a value without that marker is plaintext
written before encryption existed, still readable (a worker started before the first ``serve``
of an upgrade) and sealed by ``seal_stored`` at the next start. The keys are the settings'
``encryption_keys``, newest first: MultiFernet encrypts with the first and decrypts with any,
so a key is rotated by putting a new one in front and keeping the old ones until
``seal_stored`` has re-sealed every row with the new one (it does at each start).

The database never holds the key (a SQL migration could not encrypt for that reason): sealing
is a start-up step after the migrations, under its own advisory lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import asyncpg
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger("ticketgate")

MARKER = "fernet:"
_SEAL_LOCK = 0x7469636C  # "ticl": starting processes seal one at a time
# every sealed column: (table, key column, value column)
SEALED = (("gateway_secrets", "name", "value"), ("webhook_subscriptions", "id", "secret"))


class Undecryptable(Exception):
    """A sealed value none of the configured keys opens (its key was dropped from the settings)."""


class Vault:
    """Seals with the newest key, opens with any. With no key (an external database and no
    ``encryption_keys``: see gateway/keyring.py) values are stored as they are, and a sealed one
    cannot be opened."""

    def __init__(self, keys: Sequence[str]) -> None:
        try:
            self._fernets = [Fernet(k) for k in keys]
        except ValueError:
            raise ValueError("an encryption key must be 32 url-safe base64-encoded bytes"
                             " (make one with: python -c 'from cryptography.fernet import Fernet;"
                             " print(Fernet.generate_key().decode())')") from None
        self._multi = MultiFernet(self._fernets) if self._fernets else None

    @property
    def encrypts(self) -> bool:
        return self._multi is not None

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def seal(self, plaintext: str) -> str:
        if self._multi is None:
            return plaintext
        return MARKER + self._multi.encrypt(plaintext.encode()).decode()

    def reveal(self, stored: str) -> str:
        """The plaintext of a stored value (an unmarked value is legacy plaintext)."""
        if not stored.startswith(MARKER):
            return stored
        return self._open(stored, lambda m, token: m.decrypt(token)).decode()

    def resealed(self, stored: str) -> str | None:
        """``stored`` sealed with the newest key, or None when it already is (or, with no key,
        when it is plaintext)."""
        if not stored.startswith(MARKER):
            return None if self._multi is None else self.seal(stored)
        if self._newest_opens(stored):
            return None
        return MARKER + self._open(stored, lambda m, token: m.rotate(token)).decode()

    def _newest_opens(self, stored: str) -> bool:
        try:
            self._fernets[0].decrypt(stored.removeprefix(MARKER).encode())
            return True
        except (InvalidToken, IndexError):
            return False

    def _open(self, stored: str, use: Callable[[MultiFernet, bytes], bytes]) -> bytes:
        if self._multi is None:
            raise Undecryptable("the value is encrypted and no encryption key is configured")
        try:
            return use(self._multi, stored.removeprefix(MARKER).encode())
        except InvalidToken:
            raise Undecryptable("no configured encryption key decrypts the value") from None


async def seal_stored(conn: asyncpg.Connection, vault: Vault) -> int:
    """Seal plaintext rows and re-seal rows of older keys with the newest; how many changed.

    Rows are few (one per subscription, one cursor key); they are read under a lock so processes
    starting together do the work once."""
    changed = 0
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _SEAL_LOCK)
        for table, key, column in SEALED:
            rows = await conn.fetch(f"SELECT {key} AS k, {column} AS v FROM {table}")
            updates = []
            for row in rows:
                try:
                    new = vault.resealed(row["v"])
                except Undecryptable:  # left as it is: its deliveries say so; the cursor key stops start
                    log.warning("%s %s: %s", table, row["k"], "no configured encryption key decrypts it")
                    continue
                if new is not None:
                    updates.append((row["k"], new))
            if updates:
                await conn.executemany(f"UPDATE {table} SET {column} = $2 WHERE {key} = $1", updates)
            changed += len(updates)
    return changed

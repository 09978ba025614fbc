"""The keys secrets are sealed with, and the subscription guard, from the settings.

Where the key comes from:

- ``encryption_keys`` (newest first): always used when set.
- Not set, embedded database (no ``database_url``): a key is generated once into
  ``<data_dir>/encryption.key`` (mode 0600), beside the database it protects, so the zero-config
  start keeps working and a dump of the database holds no usable secret. Every process started
  on the same folder reads the same file.
- Not set, external database: there is no place every process (on every host) would find the
  same generated key, so nothing is encrypted and each start logs a warning saying so. A value
  sealed earlier cannot be opened then: the cursor key stops the start, a subscription's
  deliveries fail with a clear ``last_error``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from core.addresses import AddressPolicy
from core.subscriptions import Guard
from core.vault import Vault
from gateway.config import Settings

log = logging.getLogger("ticketgate")
KEY_FILE = "encryption.key"


def vault_for(settings: Settings) -> Vault:
    if settings.encryption_keys:
        return Vault(settings.encryption_keys)
    if settings.database_url is None:
        return Vault([data_dir_key(settings.data_dir)])
    log.warning("encryption_keys is not set: webhook signing secrets and the cursor-signing key are stored"
                " in the database in plaintext")
    return Vault([])


def guard_for(settings: Settings, vault: Vault | None = None) -> Guard:
    policy = AddressPolicy.of(development=settings.development, allow=settings.webhook_allow_cidrs)
    return Guard(policy, vault or vault_for(settings))


def data_dir_key(data_dir: Path) -> str:
    """The key in ``data_dir``'s key file, generated on first use. Written to a private temporary
    file then linked into place, so a process starting at the same moment reads either no file
    or the whole key, and only one key ever wins."""
    folder = data_dir.expanduser().resolve()
    path = folder / KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{KEY_FILE}.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(Vault.generate_key() + "\n")
        try:
            os.link(tmp, path)
            log.info("generated the encryption key %s (keep it with the database: secrets need it)", path)
        except FileExistsError:
            pass  # another process generated it first: its key is the one
        finally:
            tmp.unlink()
    return path.read_text().strip()

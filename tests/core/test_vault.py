"""Secrets at rest: sealing, rotation, the start-up sealing of old rows, where the key comes from."""

from __future__ import annotations

import logging
import stat

import pytest

from core.vault import MARKER, Undecryptable, Vault
from core.webhooks import sign
from gateway.config import ConfigError, load_settings
from gateway.keyring import KEY_FILE, data_dir_key, vault_for

OLD, NEW = Vault.generate_key(), Vault.generate_key()
# the Standard Webhooks reference vector (standardwebhooks.com), signed from a sealed secret
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SIGNED = ("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_sealed_secret_signs_byte_for_byte_as_before():
    stored = Vault([NEW]).seal(SECRET)
    assert stored.startswith(MARKER) and SECRET not in stored
    assert sign(Vault([NEW]).reveal(stored), *SIGNED) == sign(SECRET, *SIGNED) == SIGNATURE


def test_old_keys_still_open_and_resealing_moves_to_the_newest():
    old = Vault([OLD]).seal(SECRET)
    rotated = Vault([NEW, OLD])
    assert rotated.reveal(old) == SECRET
    resealed = rotated.resealed(old)
    assert resealed is not None and Vault([NEW]).reveal(resealed) == SECRET
    assert rotated.resealed(resealed) is None  # already the newest key's
    with pytest.raises(Undecryptable):
        Vault([NEW]).reveal(old)  # OLD dropped too early


def test_plaintext_of_before_is_read_and_sealed():
    assert Vault([NEW]).reveal(SECRET) == SECRET
    assert Vault([NEW]).reveal(Vault([NEW]).resealed(SECRET) or "") == SECRET


def test_without_a_key_values_stay_plaintext_and_sealed_ones_cannot_be_opened():
    keyless = Vault([])
    assert (keyless.encrypts, keyless.seal(SECRET), keyless.resealed(SECRET)) == (False, SECRET, None)
    with pytest.raises(Undecryptable):
        keyless.reveal(Vault([NEW]).seal(SECRET))


def test_the_embedded_default_generates_a_private_key_in_the_data_folder(tmp_path):
    settings = load_settings(environ={}, data_dir=tmp_path / "data")
    vault = vault_for(settings)
    path = tmp_path / "data" / KEY_FILE
    assert vault.encrypts and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert data_dir_key(tmp_path / "data") == path.read_text().strip()  # the same key every start
    assert Vault([path.read_text().strip()]).reveal(vault.seal("x")) == "x"
    assert [p.name for p in (tmp_path / "data").iterdir()] == [KEY_FILE]  # no temporary file left


def test_configured_keys_win_and_an_external_database_without_one_warns(tmp_path, caplog):
    configured = load_settings(environ={"TICKETGATE_ENCRYPTION_KEYS": f"{NEW},{OLD}"}, data_dir=tmp_path)
    assert vault_for(configured).reveal(Vault([OLD]).seal("x")) == "x"
    assert not (tmp_path / KEY_FILE).exists()
    external = load_settings(environ={}, database_url="postgresql://db.invalid/x", data_dir=tmp_path)
    with caplog.at_level(logging.WARNING, logger="ticketgate"):
        assert not vault_for(external).encrypts
    assert "stored in the database in plaintext" in caplog.text
    assert not (tmp_path / KEY_FILE).exists()


def test_a_bad_key_is_a_configuration_error():
    with pytest.raises(ConfigError, match="encryption_keys"):
        load_settings(environ={"TICKETGATE_ENCRYPTION_KEYS": "not-a-key"})

"""Sealing secret values: round trip, no key, and the sandbox's kept key."""

import os
import stat

import pytest

from controller.store.v1.sealing import SealedValueUnreadable, Sealer, SecretsKeyMissing, key_in_data_dir, new_key


def test_a_sealed_value_opens_with_its_key_only():
    sealer = Sealer(new_key())
    sealed = sealer.seal("hunter2")
    assert "hunter2" not in sealed and sealer.open(sealed) == "hunter2"
    assert sealer.seal("hunter2") != sealed  # randomised: equal values do not show
    with pytest.raises(SealedValueUnreadable):
        Sealer(new_key()).open(sealed)


def test_without_a_key_nothing_is_sealed_or_opened():
    for sealer in (Sealer(None), Sealer(""), Sealer.from_environ({})):
        assert not sealer.configured
        with pytest.raises(SecretsKeyMissing):
            sealer.seal("x")


def test_a_malformed_key_is_refused_at_once():
    with pytest.raises(ValueError, match="BERTH_SECRETS_KEY"):
        Sealer("not-a-key")


def test_the_data_dir_key_is_made_once_owner_only_and_kept(tmp_path):
    key = key_in_data_dir(tmp_path)
    assert key_in_data_dir(tmp_path) == key
    assert stat.S_IMODE(os.stat(tmp_path / "secrets-key").st_mode) == 0o600
    assert Sealer(key).configured

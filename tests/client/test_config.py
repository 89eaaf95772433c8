"""Where the server, token and organisation come from: flag, environment, config file, sandbox."""

import pytest

from controller.client.config import SANDBOX_SERVER, resolve
from controller.client.outcomes import BadInput

NO_FLAGS = {"server": None, "token": None, "organisation": None}


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('server = "https://file.example"\ntoken = "file-token"\norganisation = "file-org"\n')
    return path


@pytest.fixture
def sandbox(tmp_path):
    data = tmp_path / ".berth"
    data.mkdir()
    (data / "token").write_text("sandbox-token\n")
    return data


def test_flags_win_over_the_environment_which_wins_over_the_file(config_file, sandbox):
    environ = {"BERTH_CONFIG": str(config_file), "BERTH_SERVER": "https://env.example", "BERTH_TOKEN": "env-token"}
    found = resolve({**NO_FLAGS, "token": "flag-token"}, environ, sandbox)
    assert (found.server, found.token, found.organisation) == ("https://env.example", "flag-token", "file-org")
    assert found.sources == {"server": "BERTH_SERVER", "token": "--token", "organisation": str(config_file)}


def test_the_file_is_found_under_xdg_config_home(tmp_path, config_file):
    home = tmp_path / "xdg"
    (home / "berth").mkdir(parents=True)
    config_file.rename(home / "berth" / "config.toml")
    found = resolve(NO_FLAGS, {"XDG_CONFIG_HOME": str(home)}, tmp_path / "none")
    assert (found.server, found.token, found.organisation) == ("https://file.example", "file-token", "file-org")


def test_the_sandbox_is_the_default(sandbox, tmp_path):
    found = resolve(NO_FLAGS, {"BERTH_CONFIG": str(tmp_path / "absent.toml")}, sandbox)
    assert (found.server, found.token, found.organisation) == (SANDBOX_SERVER, "sandbox-token", "demo")


def test_the_sandbox_token_never_goes_to_another_machine(sandbox, tmp_path):
    environ = {"BERTH_CONFIG": str(tmp_path / "absent.toml"), "BERTH_SERVER": "https://berth.example"}
    with pytest.raises(BadInput, match="no token"):
        resolve(NO_FLAGS, environ, sandbox)
    local = resolve({**NO_FLAGS, "server": "http://localhost:9090"}, environ, sandbox)
    assert (local.token, local.organisation) == ("sandbox-token", "demo")


def test_a_configured_server_wins_over_the_sandbox(config_file, sandbox):
    found = resolve(NO_FLAGS, {"BERTH_CONFIG": str(config_file)}, sandbox)
    assert (found.server, found.token) == ("https://file.example", "file-token")


@pytest.mark.parametrize(("text", "said"), [
    ("server = ", "is not valid TOML"),
    ("server = 1", "'server' must be a string"),
    ('serve = "x"', "unknown keys serve"),
])
def test_a_bad_config_file_is_bad_input(tmp_path, text, said):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(BadInput, match=said):
        resolve(NO_FLAGS, {"BERTH_CONFIG": str(path)}, tmp_path)


@pytest.mark.parametrize(("flags", "said"), [
    ({}, "no server"),
    ({"server": "ftp://x"}, "not an http:// or https:// address"),
    ({"server": "https://x"}, "no token"),
    ({"server": "https://x", "token": "t"}, "no organisation"),
])
def test_what_is_missing_is_named(tmp_path, flags, said):
    with pytest.raises(BadInput, match=said):
        resolve({**NO_FLAGS, **flags}, {"BERTH_CONFIG": str(tmp_path / "absent.toml")}, tmp_path)

"""Options that apply to every command are taken before or after the subcommand, and the
organisation option has one spelling family everywhere (issue 12)."""

from pathlib import Path

import pytest

from controller.cli import _parser
from controller.client.config import first_given


@pytest.mark.parametrize("argv", [["--data-dir", "/d", "up"], ["up", "--data-dir", "/d"], ["org", "create", "a", "--data-dir", "/d"]])
def test_data_dir_is_taken_before_or_after_the_subcommand(argv):
    assert _parser().parse_args(argv).data_dir == Path("/d")


@pytest.mark.parametrize("flag", ["--org", "--organisation", "--organization"])
@pytest.mark.parametrize("command", [["status"], ["apply", "-f", "x"], ["token", "create"]])
def test_every_spelling_of_the_organisation_is_taken_everywhere(flag, command):
    assert _parser().parse_args([*command, flag, "acme"]).organisation == "acme"
    assert _parser().parse_args([flag, "acme", *command]).organisation == "acme"


def test_the_organisation_is_flag_then_environment_then_config_file(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('org = "file-org"\n')
    environ = {"BERTH_CONFIG": str(config)}
    assert first_given("organisation", None, environ) == ("file-org", str(config))
    assert first_given("organisation", None, {**environ, "BERTH_ORG": "env-org"}) == ("env-org", "BERTH_ORG")
    assert first_given("organisation", "flag-org", {**environ, "BERTH_ORG": "env-org"}) == ("flag-org", "--org")

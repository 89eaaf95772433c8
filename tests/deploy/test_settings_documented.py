"""Every setting the deployed processes read is in the ConfigMap (or the Secret) and in
docs/deploying.md's table, and nothing stale is left in either. Settings are found by
reading the code, so a new BERTH_* variable fails here until it is documented."""

import re

from tests.deploy.aws_operations import ROOT

SETTING = re.compile(r"\bBERTH_[A-Z0-9_]*[A-Z0-9]\b")
CODE = ("api", "controller", "reconcilers", "schemas")
# The sandbox and benchmarks never run deployed; controller/client is the `berth apply|…`
# CLI on an operator's machine (BERTH_SERVER, BERTH_TOKEN, …), not a server setting.
NOT_DEPLOYED = ("controller/sandbox", "controller/bench", "controller/client")
# Read by deployed code, but only meaningful for the sandbox (`berth up`) or local runs.
SANDBOX_ONLY = {"BERTH_DATA_DIR", "BERTH_BOOTSTRAP_TOKEN"}
SECRETS = {"DATABASE_URL", "BERTH_SECRETS_KEY", "BERTH_GITHUB_WEBHOOK_SECRET"}
SETTINGS_ENV = ROOT / "deploy" / "kubernetes" / "base" / "settings.env"
DEPLOYING = ROOT / "docs" / "deploying.md"


def _read_by_code() -> set[str]:
    names: set[str] = set()
    for root in CODE:
        for path in (ROOT / root).rglob("*.py"):
            if not str(path.relative_to(ROOT)).startswith(NOT_DEPLOYED):
                names.update(SETTING.findall(path.read_text()))
    return names - SANDBOX_ONLY


def _in_settings_env() -> set[str]:
    """Keys set, and keys documented on a commented `# NAME=` line."""
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", SETTINGS_ENV.read_text(), re.MULTILINE))


def test_the_code_reads_settings_at_all():
    assert {"BERTH_ECS_CLUSTER", "BERTH_LEASE_SECONDS", "BERTH_LOG_FORMAT"} <= _read_by_code()


def test_every_setting_is_in_the_config_map_or_the_secret():
    missing = _read_by_code() - _in_settings_env() - SECRETS
    assert sorted(missing) == [], "add these to deploy/kubernetes/base/settings.env"


def test_the_config_map_has_no_stale_or_secret_settings():
    known = _read_by_code() | {"AWS_REGION"}
    assert sorted(_in_settings_env() - known) == []
    assert not (_in_settings_env() & SECRETS)


def test_every_setting_and_secret_is_in_the_operators_table():
    text = DEPLOYING.read_text()
    missing = {name for name in _read_by_code() | SECRETS if f"| `{name}`" not in text}
    assert sorted(missing) == [], "add these to the settings table in docs/deploying.md"

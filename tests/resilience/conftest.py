"""The end-to-end platform (tests/e2e/conftest.py) behind a proxy that also records
which resource each successful create made, so a trial can tell a resource created
twice from a create that was merely retried."""

import hashlib
import json
from collections import Counter
from urllib.parse import parse_qs

import pytest

from tests.e2e.conftest import ecs, platform, rollouts, spawn_controller  # noqa: F401 — fixtures
from tests.fakes.aws_proxy import AwsProxy, operation_of
from tests.serving import serve

# What names the resource each create makes (JSON protocols' fields, query protocols' parameters).
NAME_FIELDS = ("serviceName", "family", "GroupName", "DBInstanceIdentifier", "DBSubnetGroupName",
               "CreationToken", "ClientToken", "Name", "FileSystemId", "SubnetId", "LogGroupName", "logGroupName", "SecretId", "CidrBlock")  # fmt: skip
# Calls that make a new resource each time they succeed (RegisterTaskDefinition: a new
# revision). Upserts (PutScalingPolicy, RegisterScalableTarget) and tagging are not.
CREATES = ("Create", "RegisterTaskDefinition")
NOT_CREATES = ("CreateTags",)


def resource_name(body: bytes) -> str:
    try:
        fields = json.loads(body or b"{}")
    except ValueError:
        fields = {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}
    if not isinstance(fields, dict):
        return "?"
    named = ",".join(f"{f}={fields[f]}" for f in NAME_FIELDS if isinstance(fields.get(f), str))
    return named or f"body sha1 {hashlib.sha1(body).hexdigest()[:12]}"  # unnamed: identical bodies


class CreateRecordingProxy(AwsProxy):
    """AwsProxy that also counts successful creates by (operation or path, resource name)."""

    def __init__(self, upstream: str):
        super().__init__(upstream)
        self.created: Counter[tuple[str, str]] = Counter()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)

        async def replay():
            return {"type": "http.request", "body": body, "more_body": False}

        status = {}

        async def noting(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await super().__call__(scope, replay, noting)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        operation = operation_of(headers, body)
        if operation == "unknown" and scope["method"] == "POST":
            operation = f"POST {scope['path']}"  # EFS's REST API: the path names the operation
        creating = operation.startswith(CREATES) and operation not in NOT_CREATES
        creating |= operation.startswith("POST ") and "tags" not in operation
        if creating and 200 <= status.get("code", 0) < 300:
            self.created[(operation, resource_name(body))] += 1


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running resilience trials")


@pytest.fixture
async def aws_proxy(moto_server):
    moto_server.reset()
    proxy = CreateRecordingProxy(moto_server.endpoint)
    async with serve(proxy) as url:
        proxy.url = url
        yield proxy

"""`GET …/applications/ecr-login` against moto's ECR."""

import base64
from datetime import UTC, datetime

import pytest
import structlog
from botocore.exceptions import ClientError

from api.cloud_reads import CloudUnavailable, RegistryCredentials
from controller.cloud_reads import AwsRegistryLogin
from tests.api.cloud import *  # noqa: F403 (fixtures)

ACCOUNT = "123456789012"


async def test_docker_credentials_for_the_registry(cloud_tenant):
    answer = await cloud_tenant.client.get(f"{cloud_tenant.applications}/ecr-login")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"username", "password", "expiresAt", "endpoint"}
    # moto's simulated token is base64("AWS:{account}-auth-token")
    assert (body["username"], body["password"]) == ("AWS", f"{ACCOUNT}-auth-token")
    assert body["endpoint"] == f"https://{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
    assert datetime.fromisoformat(body["expiresAt"]).tzinfo is not None
    assert answer.headers["cache-control"] == "no-store"


async def test_another_organisation_is_not_found(cloud_tenant, stranger):
    answer = await stranger.client.get(f"{cloud_tenant.applications}/ecr-login")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


async def test_a_token_is_needed(cloud_tenant, cloud_url):
    import httpx

    async with httpx.AsyncClient(base_url=cloud_url) as anonymous:
        answer = await anonymous.get(f"{cloud_tenant.applications}/ecr-login")
    assert answer.status_code == 401


async def test_without_cloud_reads_the_route_says_so(tenant):
    answer = await tenant.client.get(f"{tenant.applications}/ecr-login")
    assert answer.status_code == 503
    assert answer.json()["detail"] == "cloud reads are not configured"


class FakeEcr:
    def __init__(self, answer=None, error=None):
        self.sent = []
        self._answer, self._error = answer, error

    async def get_authorization_token(self, **arguments):
        self.sent.append(arguments)
        if self._error is not None:
            raise self._error
        return self._answer


def token(text: str) -> dict:
    expires = datetime(2026, 1, 1, 12, tzinfo=UTC)
    return {"authorizationData": [{"authorizationToken": base64.b64encode(text.encode()).decode(),
                                   "proxyEndpoint": "https://registry", "expiresAt": expires}]}


async def test_the_configured_registry_is_asked_for():
    client = FakeEcr(token("AWS:secret"))
    await AwsRegistryLogin(client, f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com").credentials("acme")
    await AwsRegistryLogin(client, None).credentials("acme")
    assert client.sent == [{"registryIds": [ACCOUNT]}, {}]


async def test_the_password_is_never_logged_nor_shown():
    found = await AwsRegistryLogin(FakeEcr(token("AWS:s3cr3t-password")), None).credentials("acme")
    assert found == RegistryCredentials("AWS", "s3cr3t-password", "https://registry", datetime(2026, 1, 1, 12, tzinfo=UTC))
    assert "s3cr3t" not in repr(found)
    with structlog.testing.capture_logs() as logged:
        with pytest.raises(CloudUnavailable):
            await AwsRegistryLogin(FakeEcr(token("no-separator-s3cr3t")), None).credentials("acme")
        denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetAuthorizationToken")
        with pytest.raises(CloudUnavailable):
            await AwsRegistryLogin(FakeEcr(error=denied), None).credentials("acme")
    assert [entry.get("code") or entry.get("error") for entry in logged][-1] == "AccessDeniedException"
    assert "s3cr3t" not in repr(logged)

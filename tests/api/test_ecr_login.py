"""`GET …/applications/ecr-login` against moto's ECR."""

import base64
import contextlib
import json
from datetime import UTC, datetime

import pytest
import structlog
from botocore.exceptions import ClientError

from api.cloud_reads import CloudUnavailable, RegistryCredentials
from controller.cloud.reads import AwsCloudReads
from controller.cloud.registry_login import AwsRegistryLogin, repository_policy
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


ROLE = f"arn:aws:iam::{ACCOUNT}:role/berth-ecr-login"


class FakeSts:
    def __init__(self):
        self.sent = []

    async def assume_role(self, **arguments):
        self.sent.append(arguments)
        return {"Credentials": {"AccessKeyId": "AKIA", "SecretAccessKey": "secret", "SessionToken": "session"}}


async def test_with_a_login_role_the_token_is_narrowed_to_the_organisations_repository():
    sts, opened = FakeSts(), []
    scoped_ecr = FakeEcr(token("AWS:scoped"))

    @contextlib.asynccontextmanager
    async def ecr_with(*keys):
        opened.append(keys)
        yield scoped_ecr

    own_ecr = FakeEcr(token("AWS:wide-open"))
    login = AwsRegistryLogin(own_ecr, None, region="eu-west-1", role_arn=ROLE, sts=sts, ecr_with=ecr_with)
    found = await login.credentials("acme")
    assert found.password == "scoped" and own_ecr.sent == [] and opened == [("AKIA", "secret", "session")]
    [sent] = sts.sent
    assert (sent["RoleArn"], sent["RoleSessionName"], sent["DurationSeconds"]) == (ROLE, "berth-ecr-acme", 900)
    assert json.loads(sent["Policy"]) == repository_policy("eu-west-1", ACCOUNT, "acme")


def test_the_session_policy_opens_one_repository():
    policy = repository_policy("eu-west-1", ACCOUNT, "acme")
    resources = {s["Resource"] for s in policy["Statement"]}
    assert resources == {"*", f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/berth/acme"}
    [login] = [s for s in policy["Statement"] if s["Resource"] == "*"]
    assert login["Action"] == "ecr:GetAuthorizationToken"  # the only action not tied to a repository


async def test_the_role_path_on_moto(pool, database_url, cloud_config):
    from tests.api.cloud import _tenant
    from tests.serving import serve
    from api.app import create_app

    app = create_app(database_url, cloud=lambda: AwsCloudReads(cloud_config, ecr_login_role_arn=ROLE))
    async with serve(app) as url:
        tenant = await _tenant(pool, url, "acme")
        answer = await tenant.client.get(f"{tenant.applications}/ecr-login")
        await tenant.client.aclose()
    assert answer.status_code == 200, answer.text
    assert answer.json()["username"] == "AWS"

"""ECR login for `GET …/applications/ecr-login`: Docker credentials from an ECR
authorization token, optionally narrowed to the organisation's own repository.

An ECR token carries the permissions of the credentials that asked for it. Asked
with the API's own credentials it opens every repository the API may touch, every
organisation's. With BERTH_ECR_LOGIN_ROLE_ARN set, each request first assumes that
role with a session policy allowing only `repository/berth/{organisation}`; the
token then opens that repository and nothing else (a session policy can only narrow
the role's permissions, never widen them).

The password goes to the caller only: never logged, never stored, hidden from repr.
"""

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import structlog

from api.cloud_reads import CloudUnavailable, RegistryCredentials
from controller.cloud.failures import FAILURES, failure

log = structlog.get_logger("berth.cloud_reads")

NOT_A_DOCKER_TOKEN = "ECR returned an authorization token that is not base64 'user:password'"
NO_TOKEN = "ECR returned no authorization data"
SESSION_SECONDS = 900  # STS's minimum: the session only has to live long enough to ask for the token
REPOSITORY_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:DescribeImages",
    "ecr:ListImages",
)

# (access key, secret key, session token) → an ECR client using them
EcrWithCredentials = Callable[[str, str, str], AbstractAsyncContextManager[Any]]


def repository_policy(region: str, account: str, organisation: str) -> dict[str, Any]:
    """The session policy: log in, then push and pull `berth/{organisation}` only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": list(REPOSITORY_ACTIONS),
                "Resource": f"arn:aws:ecr:{region}:{account}:repository/berth/{organisation}",
            },
        ],
    }


def session_name(organisation: str) -> str:
    """Shows in CloudTrail who the token was for; STS allows 2–64 of [\\w+=,.@-]."""
    return f"berth-ecr-{organisation}"[:64]


def registry_ids(registry: str | None) -> list[str]:
    """`{account}.dkr.ecr.{region}.amazonaws.com` → [account]; nothing for any other form."""
    account = (registry or "").split(".", 1)[0]
    return [account] if account.isdigit() else []


def docker_credentials(answer: dict[str, Any]) -> RegistryCredentials:
    data = answer.get("authorizationData") or []
    if not data:
        log.warning("cloud_read_failed", operation="GetAuthorizationToken", error=NO_TOKEN)
        raise CloudUnavailable(NO_TOKEN)
    try:
        username, separator, password = base64.b64decode(data[0]["authorizationToken"]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, KeyError):
        username, separator, password = "", "", ""
    if not separator:
        log.warning("cloud_read_failed", operation="GetAuthorizationToken", error=NOT_A_DOCKER_TOKEN)
        raise CloudUnavailable(NOT_A_DOCKER_TOKEN)
    return RegistryCredentials(
        username=username, password=password, endpoint=data[0].get("proxyEndpoint", ""), expires_at=data[0]["expiresAt"]
    )


class AwsRegistryLogin:
    """`credentials(organisation)`: with the API's own credentials, or — given `role_arn`,
    an STS client and a way to open ECR clients — through a session narrowed to the
    organisation's repository."""

    def __init__(
        self,
        ecr: Any,
        registry: str | None,
        *,
        region: str = "",
        role_arn: str | None = None,
        sts: Any = None,
        ecr_with: EcrWithCredentials | None = None,
    ):
        self._ecr = ecr
        self._registry_ids = registry_ids(registry)
        self._region = region
        self._role_arn = role_arn
        self._sts = sts
        self._ecr_with = ecr_with

    async def credentials(self, organisation: str) -> RegistryCredentials:
        arguments = {"registryIds": self._registry_ids} if self._registry_ids else {}
        if self._role_arn is None:
            return docker_credentials(await self._ask(self._ecr.get_authorization_token, arguments))
        assert self._sts is not None and self._ecr_with is not None
        account = self._role_arn.split(":")[4]
        session = await self._ask(
            self._sts.assume_role,
            {
                "RoleArn": self._role_arn,
                "RoleSessionName": session_name(organisation),
                "Policy": json.dumps(repository_policy(self._region, account, organisation)),
                "DurationSeconds": SESSION_SECONDS,
            },
            operation="AssumeRole",
        )
        keys = session["Credentials"]
        async with self._ecr_with(keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"]) as ecr:
            return docker_credentials(await self._ask(ecr.get_authorization_token, arguments))

    async def _ask(
        self, send: Callable[..., Awaitable[dict]], arguments: dict[str, Any], operation: str = "GetAuthorizationToken"
    ) -> dict:
        try:
            return await send(**arguments)
        except FAILURES as error:
            raise failure(operation, error) from error

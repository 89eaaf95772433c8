"""The organisation's ECR repository `berth/{organisation}`: internal images run from it.

Shared by every environment of the organisation's applications, so an environment
makes sure it exists (when any of its containers is internal) but never deletes it.
"""

from typing import Any

from botocore.exceptions import ClientError

from reconcilers.aws.calls import call, call_unless_absent, error_code
from reconcilers.aws.naming import MANAGED_BY, MANAGED_BY_KEY

ORGANISATION_KEY = "berth:organisation"
ABSENT_CODES = ("RepositoryNotFoundException",)
EXISTS_CODE = "RepositoryAlreadyExistsException"


def repository_tags(organisation: str) -> list[dict[str, str]]:
    tags = {MANAGED_BY_KEY: MANAGED_BY, ORGANISATION_KEY: organisation}
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


async def _describe(ecr: Any, name: str) -> str | None:
    answer = await call_unless_absent(ecr.describe_repositories, absent=ABSENT_CODES, repositoryNames=[name])
    repositories = answer.get("repositories", ()) if answer else ()
    return repositories[0]["repositoryUri"] if repositories else None


async def ensure_repository(ecr: Any, name: str, organisation: str) -> tuple[str, bool]:
    """The repository's URI (`{account}.dkr.ecr.{region}.amazonaws.com/berth/{org}`), and
    whether this call created it. Another environment creating it meanwhile is fine."""
    uri = await _describe(ecr, name)
    if uri is not None:
        return uri, False
    try:
        answer = await call(ecr.create_repository, repositoryName=name, tags=repository_tags(organisation))
    except ClientError as exc:
        if error_code(exc) != EXISTS_CODE:
            raise
        uri = await _describe(ecr, name)
        if uri is None:  # deleted again in between: the next pass tries once more
            raise
        return uri, False
    return answer["repository"]["repositoryUri"], True

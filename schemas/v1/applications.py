"""Applications: named processes scaled by process_counts and sized by pod class."""

import re
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from schemas.v1.base import Name, Slug, Timestamp, V1Request, V1Response
from schemas.v1.pod_classes import POD_CLASSES

# A process name becomes part of Kubernetes object names and labels (a DNS label).
PROCESS_PATTERN = re.compile(r"^[a-z]([a-z0-9-]{0,28}[a-z0-9])?$")
MAX_PROCESSES = 20
MAX_REPLICAS = 100
DEFAULT_DEPLOYMENT_TIMEOUT = 180
MAX_DEPLOYMENT_TIMEOUT = 3600
DEFAULT_HEALTH_CHECK_PATH = "/_health/"

BAD_PROCESS = "process names are lower-case letters, digits and '-' (at most 30, starting with a letter)"
TOO_MANY_PROCESSES = f"at most {MAX_PROCESSES} processes"
BAD_COUNT = f"process counts are whole numbers from 0 to {MAX_REPLICAS}"
UNKNOWN_POD_CLASS = "unknown pod class {name!r}; one of: " + ", ".join(POD_CLASSES)
BAD_REPOSITORY = "must be 'owner/name' of a GitHub repository"
BAD_BRANCH = "must be a git branch name"
BAD_SUBDIRECTORY = "must be a relative path inside the repository"
BAD_HEALTH_PATH = "must be an absolute URL path starting with '/'"
BAD_HOST = "must be a host name"

_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
_BRANCH = re.compile(r"^(?!/)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]{1,255}(?<![/.])$")
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(:\d{1,5})?$")


class CreateApplicationRequestV1(V1Request):
    """Ancla's CreateApplicationRequest (renamed: v3 has a model of that name, and the
    OpenAPI document names schemas by class)."""

    name: Name
    slug: Slug
    project_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


def _check_processes(names) -> None:
    if len(names) > MAX_PROCESSES:
        raise ValueError(TOO_MANY_PROCESSES)
    for name in names:
        if not PROCESS_PATTERN.match(name):
            raise ValueError(f"{BAD_PROCESS}: {name!r}")


class ScaleRequest(V1Request):
    """Merged into the application's: a process named here changes, the others stay.
    A count of 0 stops a process."""

    process_counts: dict[str, Annotated[int, Field(strict=True)]] = {}
    process_pod_classes: dict[str, str] = {}

    @field_validator("process_counts")
    @classmethod
    def _counts(cls, value: dict[str, int]) -> dict[str, int]:
        _check_processes(value)
        if any(not 0 <= count <= MAX_REPLICAS for count in value.values()):
            raise ValueError(BAD_COUNT)
        return value

    @field_validator("process_pod_classes")
    @classmethod
    def _classes(cls, value: dict[str, str]) -> dict[str, str]:
        _check_processes(value)
        for name in value.values():
            if name not in POD_CLASSES:
                raise ValueError(UNKNOWN_POD_CLASS.format(name=name))
        return value


# Settings a null or absent field leaves unchanged; "" clears the ones that may be unset.
CLEARABLE_SETTINGS = (
    "github_repository",
    "auto_deploy_branch",
    "subdirectory",
    "github_environment_name",
    "health_check_host",
)


def _matches(pattern: re.Pattern, message: str, value: str | None) -> str | None:
    if value and not pattern.match(value):
        raise ValueError(message)
    return value


class UpdateApplicationSettingsRequest(V1Request):
    github_repository: str | None = None
    github_repository_is_private: bool | None = None
    auto_deploy_branch: str | None = None
    subdirectory: str | None = None
    github_app_installation_id: Annotated[int, Field(gt=0)] | None = None
    github_environment_name: Annotated[str, StringConstraints(max_length=255)] | None = None
    deployment_timeout: Annotated[int, Field(gt=0, le=MAX_DEPLOYMENT_TIMEOUT)] | None = None
    health_check_path: Annotated[str, StringConstraints(max_length=1024)] | None = None
    health_check_host: str | None = None

    @field_validator("github_repository")
    @classmethod
    def _repository(cls, value: str | None) -> str | None:
        return _matches(_REPOSITORY, BAD_REPOSITORY, value)

    @field_validator("auto_deploy_branch")
    @classmethod
    def _branch(cls, value: str | None) -> str | None:
        return _matches(_BRANCH, BAD_BRANCH, value)

    @field_validator("subdirectory")
    @classmethod
    def _subdirectory(cls, value: str | None) -> str | None:
        if value and (value.startswith("/") or ".." in value.split("/") or len(value) > 1024 or "\\" in value):
            raise ValueError(BAD_SUBDIRECTORY)
        return value

    @field_validator("health_check_path")
    @classmethod
    def _health_path(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("/") or any(c.isspace() for c in value)):
            raise ValueError(BAD_HEALTH_PATH)
        return value

    @field_validator("health_check_host")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        return _matches(_HOST, BAD_HOST, value)

    def changes(self) -> dict[str, Any]:
        """The settings to write: fields given (not null), "" as None for the clearable ones."""
        given = {k: v for k, v in self.model_dump().items() if v is not None}
        return {k: (None if k in CLEARABLE_SETTINGS and v == "" else v) for k, v in given.items()}


class ApplicationSummary(V1Response):
    id: str
    name: str
    slug: str
    project_id: str
    platform: str = "wind"
    created: Timestamp = None
    latest_image_version: int | None = None
    latest_release_version: int | None = None
    latest_deployment_complete: bool | None = None


class ApplicationDetail(V1Response):
    id: str
    name: str
    slug: str
    project_id: str
    project_slug: str
    organization_slug: str
    platform: str = "wind"
    process_counts: dict[str, int] = {}
    process_pod_classes: dict[str, str] = {}
    github_repository: str | None = None
    github_repository_is_private: bool = False
    auto_deploy_branch: str | None = None
    subdirectory: str | None = None
    github_app_installation_id: int | None = None
    github_environment_name: str | None = None
    deployment_timeout: int | None = DEFAULT_DEPLOYMENT_TIMEOUT
    health_check_path: str = DEFAULT_HEALTH_CHECK_PATH
    health_check_host: str | None = None
    privileged: bool = False
    created: Timestamp = None
    updated: Timestamp = None
    latest_image: dict[str, Any] | None = None
    latest_release: dict[str, Any] | None = None
    latest_deployment: dict[str, Any] | None = None

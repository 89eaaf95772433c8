"""Applications as Quant Cloud's contract shapes them: the create request and the read model."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from schemas.v3.compose import CAPACITY_ORDER, Compose, EnvironmentVariable, ImageReference
from schemas.wire import CamelModel

APP_NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
PRODUCTION = "production"


class DatabaseEngine(StrEnum):
    MYSQL = "mysql"
    POSTGRES = "postgres"


class DatabaseRequest(CamelModel):
    engine: DatabaseEngine = DatabaseEngine.MYSQL
    instance_class: Annotated[str, Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")] = "db.t4g.micro"
    storage_gb: Annotated[int, Field(ge=20, le=65536)] = 20
    multi_az: bool = False
    # Beyond the contract, as Terraform's `skip_final_snapshot`: a teardown takes a final
    # snapshot unless this says not to (or the delete request's `skipFinalSnapshot`).
    # Left out (None) it means False, and stays out of the stored and echoed body.
    skip_final_snapshot: bool | None = None


class FilesystemRequest(CamelModel):
    required: bool = True
    mount_path: Annotated[str, Field(pattern=r"^/")] = "/mnt/data"


class CreateApplicationRequest(CamelModel):
    """The body of `POST …/applications`; also the application's stored desired state."""

    app_name: Annotated[str, Field(pattern=APP_NAME_PATTERN)]
    compose_definition: Compose
    min_capacity: Annotated[int, Field(ge=0, le=1000)] | None = 1
    # The contract's default is 1; left out, it follows the minimum when that is higher.
    max_capacity: Annotated[int, Field(ge=0, le=1000)] | None = None
    database: DatabaseRequest | None = None
    filesystem: FilesystemRequest | None = None
    environment: list[EnvironmentVariable] | None = None

    @model_validator(mode="after")
    def _capacity_order(self) -> "CreateApplicationRequest":
        if self.desired_min_capacity > self.desired_max_capacity:
            raise ValueError(CAPACITY_ORDER)
        return self

    @property
    def desired_min_capacity(self) -> int:
        """The compose's own figure wins; the request-level one is the contract's fallback."""
        for value in (self.compose_definition.min_capacity, self.min_capacity):
            if value is not None:
                return value
        return 1

    @property
    def desired_max_capacity(self) -> int:
        for value in (self.compose_definition.max_capacity, self.max_capacity):
            if value is not None:
                return value
        return max(1, self.desired_min_capacity)


class DeploymentInformation(CamelModel):
    deployment_id: str
    task_definition_arn: str | None = None
    created_at: datetime
    status: str
    image_tag: str | None = None


class ApplicationDatabase(CamelModel):
    rds_instance_identifier: str | None = None
    rds_instance_endpoint: str | None = None
    rds_instance_engine: DatabaseEngine | None = None
    rds_instance_status: str | None = None


class ApplicationFilesystem(CamelModel):
    filesystem_id: str | None = None
    mount_path: str | None = None


class Application(CamelModel):
    app_name: str
    organisation: str
    database: ApplicationDatabase | None = None
    filesystem: ApplicationFilesystem | None = None
    compose_definition: Compose | None = None
    status: str | None = None
    deployment_information: list[DeploymentInformation] | None = None
    image_reference: ImageReference | None = None
    container_names: list[str] | None = None
    min_capacity: int | None = None
    max_capacity: int | None = None
    desired_count: int | None = None
    running_count: int | None = None
    environment_names: list[str] | None = None


class LimitReached(CamelModel):
    message: str
    error: str

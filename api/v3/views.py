"""Observed + desired state rendered as Quant Cloud's `Application`."""

from collections.abc import Mapping
from typing import Any

from schemas.v3.applications import (
    Application,
    ApplicationDatabase,
    ApplicationFilesystem,
    CreateApplicationRequest,
    DeploymentInformation,
)
from schemas.status import ConditionType

# What `status` means, in the order it is decided (docs/api.md says the same).
DELETING, PENDING, DEPLOYING, RUNNING, DEGRADED = "deleting", "pending", "deploying", "running", "degraded"


def application_status(row: Mapping[str, Any]) -> str:
    if row["deleting"]:
        return DELETING
    if row["observed_generation"] is None:
        return PENDING
    conditions = {c["type"]: c["status"] for c in row["conditions"]}
    if conditions.get(ConditionType.DEGRADED):
        return DEGRADED
    if row["observed_generation"] < row["production_generation"]:
        return DEPLOYING
    if conditions.get(ConditionType.READY):
        return RUNNING
    return DEPLOYING


NEW_APPLICATION = {
    "deleting": False,
    "observed_generation": None,
    "production_generation": 1,
    "conditions": [],
    "outputs": {},
    "deployments": [],
    "environment_names": ["production"],
}


def application_view(
    row: Mapping[str, Any], organisation: str, spec: CreateApplicationRequest | None = None
) -> Application:
    """`row` is an `application_views` row (or `NEW_APPLICATION` with `spec` given)."""
    spec = spec or CreateApplicationRequest.model_validate(row["spec"])
    compose = spec.compose_definition
    outputs = row["outputs"] or {}
    essential = next((c for c in compose.containers if c.essential is not False), compose.containers[0])
    return Application(
        app_name=spec.app_name,
        organisation=organisation,
        compose_definition=compose,
        status=application_status(row),
        deployment_information=[DeploymentInformation.model_validate(d) for d in row["deployments"]],
        image_reference=essential.image_reference,
        container_names=[c.name for c in compose.containers],
        min_capacity=spec.desired_min_capacity,
        max_capacity=spec.desired_max_capacity,
        desired_count=outputs.get("desiredCount"),
        running_count=outputs.get("runningCount"),
        environment_names=list(row["environment_names"]),
        database=_database(spec, outputs),
        filesystem=_filesystem(spec, outputs),
    )


def _database(spec: CreateApplicationRequest, outputs: Mapping[str, Any]) -> ApplicationDatabase | None:
    if spec.database is None:
        return None
    return ApplicationDatabase(
        rds_instance_engine=spec.database.engine,
        rds_instance_identifier=outputs.get("rdsInstanceIdentifier"),
        rds_instance_endpoint=outputs.get("rdsInstanceEndpoint"),
        rds_instance_status=outputs.get("rdsInstanceStatus", PENDING),
    )


def _filesystem(spec: CreateApplicationRequest, outputs: Mapping[str, Any]) -> ApplicationFilesystem | None:
    if spec.filesystem is None or not spec.filesystem.required:
        return None
    return ApplicationFilesystem(
        filesystem_id=outputs.get("filesystemId"), mount_path=spec.filesystem.mount_path
    )

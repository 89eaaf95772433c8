"""Observed + desired state rendered as Quant Cloud's `Application` and `EnvironmentResponse`."""

from collections.abc import Mapping
from typing import Any

from schemas.desired import EnvironmentSpec
from schemas.outputs import DatabaseOutputs, FilesystemOutputs, WorkloadOutputs
from schemas.status import ConditionType
from schemas.v3.applications import (
    Application,
    ApplicationDatabase,
    ApplicationFilesystem,
    CreateApplicationRequest,
    DatabaseEngine,
    DatabaseRequest,
    DeploymentInformation,
    FilesystemRequest,
)
from schemas.v3.environments import EnvironmentResponse, EnvironmentSummary

# What `status` means, in the order it is decided (docs/api.md says the same).
DELETING, PENDING, DEPLOYING, RUNNING, DEGRADED = "deleting", "pending", "deploying", "running", "degraded"


def workload_status(row: Mapping[str, Any], generation: int) -> str:
    """An environment's status from its statuses row (`observed_generation`, `conditions`),
    `deleting`, and the generation of its desired spec."""
    if row["deleting"]:
        return DELETING
    if row["observed_generation"] is None:
        return PENDING
    conditions = {c["type"]: c["status"] for c in row["conditions"]}
    if conditions.get(ConditionType.DEGRADED):
        return DEGRADED
    if row["observed_generation"] < generation:
        return DEPLOYING
    if conditions.get(ConditionType.READY):
        return RUNNING
    return DEPLOYING


def application_status(row: Mapping[str, Any]) -> str:
    """An application's status is its production environment's."""
    return workload_status(row, row["production_generation"])


NEW_APPLICATION: dict[str, Any] = {
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
    """`row` is an `application_views` row (or `NEW_APPLICATION` with `spec` given).

    The workload fields (compose, capacity, database, filesystem) are the production
    environment's current spec: the environment routes and the declarative PUT change it
    after the application was created. `database`/`filesystem` show what the `rds-database`
    and `efs-filesystem` kinds reported (`database_outputs`, `filesystem_outputs`)."""
    spec = spec or CreateApplicationRequest.model_validate(row["spec"])
    production = row.get("production_spec")
    workload = EnvironmentSpec.model_validate(production) if production is not None else None
    if workload is not None:
        compose, low, high = workload.compose, workload.min_capacity, workload.max_capacity
        database, filesystem = workload.database, workload.filesystem
    else:
        compose, low, high = spec.compose_definition, spec.desired_min_capacity, spec.desired_max_capacity
        database, filesystem = spec.database, spec.filesystem
    observed = WorkloadOutputs.stored(row["outputs"] or {})
    assert observed is not None
    essential = next((c for c in compose.containers if c.essential is not False), compose.containers[0])
    return Application(
        app_name=spec.app_name,
        organisation=organisation,
        compose_definition=compose,
        status=application_status(row),
        deployment_information=[DeploymentInformation.model_validate(d) for d in row["deployments"]],
        image_reference=essential.image_reference,
        container_names=[c.name for c in compose.containers],
        min_capacity=low,
        max_capacity=high,
        desired_count=observed.desired_count,
        running_count=observed.running_count,
        environment_names=list(row["environment_names"]),
        database=_database(database, DatabaseOutputs.stored(row.get("database_outputs")) or DatabaseOutputs()),
        filesystem=_filesystem(
            filesystem, FilesystemOutputs.stored(row.get("filesystem_outputs")) or FilesystemOutputs()
        ),
    )


def _database(wanted: DatabaseRequest | None, outputs: DatabaseOutputs) -> ApplicationDatabase | None:
    """The production environment's database: wanted, as the `rds-database` kind last
    reported it (its outputs), `pending` until it has."""
    if wanted is None:
        return None
    engine = outputs.rds_instance_engine
    # The contract names two engines; RDS reports what it runs (the same names).
    known = DatabaseEngine(engine) if engine is not None and engine in DatabaseEngine._value2member_map_ else wanted.engine
    return ApplicationDatabase(
        rds_instance_engine=known,
        rds_instance_identifier=outputs.rds_instance_identifier,
        rds_instance_endpoint=outputs.rds_instance_endpoint,
        rds_instance_status=outputs.rds_instance_status or PENDING,
    )


def _filesystem(wanted: FilesystemRequest | None, outputs: FilesystemOutputs) -> ApplicationFilesystem | None:
    """The production environment's file system, as the `efs-filesystem` kind last reported it."""
    if wanted is None or not wanted.required:
        return None
    return ApplicationFilesystem(
        filesystem_id=outputs.filesystem_id, mount_path=outputs.mount_path or wanted.mount_path
    )


# `deploymentStatus` is the contract's COMPLETED, IN_PROGRESS or FAILED; a rollout the
# circuit breaker rolled back is FAILED, with `deploymentFailureType` ROLLED_BACK.
DEPLOYMENT_STATUSES = ("COMPLETED", "IN_PROGRESS", "FAILED")
FAILED_DEPLOYMENTS = ("FAILED", "ROLLED_BACK")


def _deployment(row: Mapping[str, Any], outputs: WorkloadOutputs) -> tuple[str | None, str | None, str | None]:
    """(deploymentStatus, deploymentFailureType, deploymentFailureReason)."""
    latest = row["deployments"][0] if row["deployments"] else None
    if latest is not None and latest["status"] in FAILED_DEPLOYMENTS:
        return "FAILED", latest["status"], latest.get("reason") or None
    state = outputs.rollout_state
    if state in DEPLOYMENT_STATUSES:
        return state, None, None
    if latest is not None and latest["status"] in DEPLOYMENT_STATUSES:
        return latest["status"], None, None
    return None, None, None


def environment_view(row: Mapping[str, Any]) -> EnvironmentResponse:
    """`row` is an `environment_views` row."""
    spec = EnvironmentSpec.model_validate(row["spec"])
    outputs = WorkloadOutputs.stored(row["outputs"] or {})
    assert outputs is not None
    status, failure_type, failure_reason = _deployment(row, outputs)
    arn = outputs.task_definition_arn
    named = (
        ("serviceArn", outputs.service_arn),
        ("serviceName", outputs.service_name),
        ("clusterArn", outputs.cluster_arn),
    )
    service = {key: value for key, value in named if value}
    return EnvironmentResponse(
        env_name=row["name"],
        status=workload_status(row, row["generation"]),
        running_count=outputs.running_count,
        desired_count=outputs.desired_count,
        min_capacity=spec.min_capacity,
        max_capacity=spec.max_capacity,
        deployment_status=status,
        deployment_failure_type=failure_type,
        deployment_failure_reason=failure_reason,
        task_definition={"taskDefinitionArn": arn} if arn else None,
        service=service or None,
        container_names=[c.name for c in spec.compose.containers],
        compose_definition=spec.compose,
        image_suffix=spec.image_suffix,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        generation=row["generation"],
        observed_generation=row["observed_generation"],
        conditions=row["conditions"] or [],
    )


def environment_summary(row: Mapping[str, Any]) -> EnvironmentSummary:
    full = environment_view(row)
    return EnvironmentSummary(
        env_name=full.env_name,
        status=full.status,
        deployment_status=full.deployment_status,
        running_count=full.running_count,
        desired_count=full.desired_count,
        min_capacity=full.min_capacity,
        max_capacity=full.max_capacity,
    )

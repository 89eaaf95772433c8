"""Request and response shapes of the v1 build → release → deploy routes, named exactly
as Ancla's contract (`ancla-applications.openapi.json`) names them: snake_case fields,
timestamps as `created` / `updated`."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class V1Model(BaseModel):
    """A v1 answer: every contract field present (nulls included), unknown input ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    def to_wire(self) -> dict:
        return self.model_dump(mode="json")


class PaginationMeta(V1Model):
    page: int
    per_page: int
    total: int
    total_pages: int


# Images (builds) -----------------------------------------------------------------------


class ImageSummary(V1Model):
    id: str
    version: int
    application_id: str
    repository_name: str
    built: bool = False
    error: bool = False
    created: datetime | None = None
    updated: datetime | None = None


class ImageDetail(ImageSummary):
    image_id: str | None = None
    error_detail: str | None = None
    build_slug: str | None = None
    build_ref: str | None = None
    dockerfile: str | None = None
    procfile: str | None = None
    processes: dict[str, Any] | None = None
    image_metadata: dict[str, Any] | None = None
    commit_sha: str | None = None


class ImageListResponse(V1Model):
    items: list[ImageSummary] = []
    pagination: PaginationMeta | None = None


class ImageBuildResponse(V1Model):
    ok: bool = True
    image_id: str = ""
    version: int = 0


class ImageLogResponse(V1Model):
    status: str
    version: int
    log_text: str | None = None
    error: bool = False
    error_detail: str | None = None
    build_step: dict[str, Any] | None = None


# Releases ------------------------------------------------------------------------------


class ReleaseSummary(V1Model):
    id: str
    version: int
    application_id: str
    platform: str = "wind"
    built: bool = False
    error: bool = False
    created: datetime | None = None
    updated: datetime | None = None


class ReleaseDetail(ReleaseSummary):
    repository_name: str = ""
    release_id: str | None = None
    image: dict[str, Any] = {}
    configuration: dict[str, Any] = {}
    image_changes: dict[str, Any] = {}
    configuration_changes: dict[str, Any] = {}
    error_detail: str | None = None
    dockerfile: str | None = None
    release_metadata: dict[str, Any] | None = None
    commit_sha: str | None = None
    health_check_path: str = "/_health/"
    health_check_host: str | None = None


class ReleaseListResponse(V1Model):
    items: list[ReleaseSummary] = []
    pagination: PaginationMeta | None = None


class ReleaseCreateResponse(V1Model):
    ok: bool = True
    release_id: str = ""
    version: int = 0


class ReleaseDeployResponse(V1Model):
    ok: bool = True
    deployment_id: str = ""


class ReleaseLogResponse(V1Model):
    status: str
    version: int
    log_text: str | None = None
    error: bool = False
    error_detail: str | None = None
    build_step: dict[str, Any] | None = None


# Deployments ---------------------------------------------------------------------------


class DeploymentDetail(V1Model):
    id: str
    application_id: str
    # The deployed release: {"id", "version", "image_id"}.
    release: dict[str, Any] = {}
    complete: bool = False
    error: bool = False
    error_detail: str | None = None
    deploy_metadata: dict[str, Any] | None = None
    deploy_log: str | None = None
    job_id: str | None = None
    created: datetime | None = None
    updated: datetime | None = None


class DeploymentListResponse(V1Model):
    # The contract leaves the items' shape open; berth lists DeploymentDetail without
    # the log (deploy_log null), newest first.
    items: list[DeploymentDetail] = []
    pagination: PaginationMeta | None = None


class DeploymentLogResponse(V1Model):
    status: str
    log_text: str | None = None
    error: bool = False
    error_detail: str | None = None
    deploy_step: dict[str, Any] | None = None


class DeployTriggerResponse(V1Model):
    ok: bool = True
    image_id: str = ""


# Pipeline status and metrics -----------------------------------------------------------


class PipelineStageStatus(V1Model):
    status: str
    version: int | None = None
    error_detail: str | None = None
    step: dict[str, Any] | None = None


class PipelineStatusResponse(V1Model):
    build: PipelineStageStatus | None = None
    release: PipelineStageStatus | None = None
    deploy: PipelineStageStatus | None = None


class DurationStats(V1Model):
    avg: float = 0
    p50: float = 0
    p95: float = 0
    count: int = 0


class PipelineStageMetrics(V1Model):
    success: int = 0
    error: int = 0
    success_rate: float = 0
    duration: DurationStats | None = None


class PipelineMetricsResponse(V1Model):
    build: PipelineStageMetrics | None = None
    release: PipelineStageMetrics | None = None
    deploy: PipelineStageMetrics | None = None


# Observability -------------------------------------------------------------------------


class ObservabilityDataPoint(V1Model):
    timestamp: str | None = None
    cpu_usage_m: float | None = None
    memory_usage_bytes: int | None = None
    pod_count: int | None = None
    restart_count: int | None = None


class ObservabilityResponse(V1Model):
    range: str
    history: list[ObservabilityDataPoint] = []


# Integrations --------------------------------------------------------------------------


class WebhookResponse(V1Model):
    ok: bool = True
    hook_id: str = ""
    # Beyond the contract's two fields (it allows more): what berth did with the event,
    # and the full deploys it started.
    detail: str = ""
    pipeline_ids: list[str] = []


class HealthResponse(V1Model):
    status: str = "ok"

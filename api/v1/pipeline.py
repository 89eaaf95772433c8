"""Full deploys and how the pipeline fares: `POST …/deploy`, `GET …/pipeline-status`,
`GET …/pipeline-metrics`.

A full deploy writes a `pipelines` row and its pending image in one statement and
queues `kube-build` (the image) and `kube-pipeline` (the stage machine, which makes
the release and the deployment as the build and rollout finish). docs/architecture.md
"v1 pipeline" lists what the stage machine writes.
"""

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from api.operations import Operation
from api.responses import JSON
from api.v1.errors import bad_field, not_found
from api.v1.pipeline_access import APPLICATION_NOT_FOUND, visible_application
from controller.store import v1_pipeline as store
from schemas.v1.pipeline import DeployTriggerResponse, PipelineMetricsResponse, PipelineStatusResponse
from schemas.v1.stages import PipelineStage, StageState, stage_metrics, stage_status

PREFIX = "/api/v1/applications/{application_id}"
NO_REPOSITORY = "is not set: there is nothing to build (PATCH …/settings with github_repository first)"
TRIGGER_API = "api"
TRIGGER_GITHUB = "github"


async def start_full_deploy(
    pool: asyncpg.Pool,
    notifier,
    application: store.Application,
    *,
    trigger: str,
    commit_sha: str | None = None,
    github_delivery: str | None = None,
) -> store.FullDeployStarted | None:
    """The pipeline and its build, queued, and the workers woken (the GitHub hook too)."""
    started = await store.start_full_deploy(
        pool,
        application.id,
        trigger=trigger,
        branch=application.auto_deploy_branch,
        commit_sha=commit_sha,
        github_delivery=github_delivery,
    )
    if started is not None and not started.repeated:
        notifier.poke(store.BUILD_KIND, store.PIPELINE_KIND)
    return started


async def full_deploy(request: Request) -> Response:
    _, application = await visible_application(request)
    if not application.github_repository:
        raise bad_field("github_repository", NO_REPOSITORY, source="application")
    started = await start_full_deploy(request.state.pool, request.state.notifier, application, trigger=TRIGGER_API)
    if started is None:
        raise not_found(APPLICATION_NOT_FOUND)
    return JSON(DeployTriggerResponse(image_id=str(started.image_id)).to_wire(), status_code=201)


def _pipeline_stage(pipeline: asyncpg.Record | None, stage: str, record_column: str) -> PipelineStage | None:
    if pipeline is None:
        return None
    record_id = pipeline[record_column]
    return PipelineStage(
        pipeline_id=str(pipeline["id"]),
        created_at=pipeline["created_at"],
        state=StageState(pipeline[f"{stage}_status"]),
        record_id=None if record_id is None else str(record_id),
        error_detail=pipeline["error_detail"],
    )


async def pipeline_status(request: Request) -> Response:
    _, application = await visible_application(request)
    latest = await store.latest_stages(request.state.pool, application.id)
    pipeline = latest.pipeline
    answer = PipelineStatusResponse(
        build=stage_status(latest.image, _pipeline_stage(pipeline, "build", "image_id")),
        release=stage_status(latest.release, _pipeline_stage(pipeline, "release", "release_id")),
        deploy=stage_status(latest.deployment, _pipeline_stage(pipeline, "deploy", "deployment_id")),
    )
    return JSON(answer.to_wire())


async def pipeline_metrics(request: Request) -> Response:
    _, application = await visible_application(request)
    history = await store.stage_history(request.state.pool, application.id)
    answer = PipelineMetricsResponse(
        build=stage_metrics(history.builds),
        release=stage_metrics(history.releases),
        deploy=stage_metrics(history.deployments),
    )
    return JSON(answer.to_wire())



operations = [
    Operation(PREFIX + "/deploy", "post", "ApiV1ApplicationsApplicationIdDeployFullDeploy",
              "FullDeploy: build → release → deploy, driven by the kube-pipeline reconciler", None, {
        201: ("The pipeline started; image_id is the image it builds", DeployTriggerResponse),
        400: ("application_id is not a UUID, or the application has no github_repository", None),
        404: ("No such application the API key sees", None),
    }, handler=full_deploy, idempotent=True),
    Operation(PREFIX + "/pipeline-status", "get", "ApiV1ApplicationsApplicationIdPipelineStatusPipelineStatus",
              "PipelineStatus: the newest build, release and deploy stage states "
              "(pending, running, succeeded, failed, skipped)", None, {
        200: ("Each stage's state; null for a stage that never ran", PipelineStatusResponse),
        400: ("application_id is not a UUID", None),
        404: ("No such application the API key sees", None),
    }, handler=pipeline_status),
    Operation(PREFIX + "/pipeline-metrics", "get", "ApiV1ApplicationsApplicationIdPipelineMetricsPipelineMetrics",
              "PipelineMetrics: success and error counts, success rate (0..1) and durations (seconds) per stage",
              None, {
        200: ("The application's whole history, per stage", PipelineMetricsResponse),
        400: ("application_id is not a UUID", None),
        404: ("No such application the API key sees", None),
    }, handler=pipeline_metrics),
]
